<?php

declare(strict_types=1);

// Cold start: a fresh `php` process that sends one task (autoload, new CeleryClient,
// sendTask) next to a bare `php -r` that connects with phpredis and LPUSHes a prebuilt message,
// alternating, BENCH_RUNS times each (medians). What a cron job or a CLI command pays. The same
// bare script after requiring Composer's autoloader (which an application loads anyway) shows
// the library's own share. Then the same with opcache's file cache for the CLI
// (opcache.enable_cli=1, opcache.file_cache=<dir>), which spares each new process compiling the
// library.
//
//   tests/run_with_redis.sh php bench/coldstart.php

require __DIR__ . '/rounds.php';

$url = getenv('CELERY_BROKER_URL') ?: 'redis://127.0.0.1:6379/0';
$runs = (int) (getenv('BENCH_RUNS') ?: 30);
$parts = parse_url($url);
$host = $parts['host'];
$port = (int) ($parts['port'] ?? 6379);
$autoload = var_export(__DIR__ . '/../vendor/autoload.php', true);

$bare = sprintf(
    '$r = new Redis(); $r->connect(%s, %d); $r->lPush("cold-raw", %s);',
    var_export($host, true),
    $port,
    var_export(str_repeat('x', 900), true),
);
$bareAutoload = 'require ' . $autoload . '; ' . $bare;
$client = sprintf(
    'require %s; (new CeleryBridge\CeleryClient(%s, config: ["task_default_queue" => "cold"]))'
    . '->sendTask("tasks.add", [1, 2]); if (getenv("BENCH_FILES")) { echo count(get_included_files()); }',
    $autoload,
    var_export($url, true),
);

$cache = sys_get_temp_dir() . '/celery-bridge-opcache-' . getmypid();
@mkdir($cache);
$time = static function (string $code, string $flags = ''): float {
    $start = hrtime(true);
    exec(escapeshellarg(PHP_BINARY) . $flags . ' -r ' . escapeshellarg($code), $output, $status);
    if ($status !== 0) {
        fwrite(STDERR, "coldstart: php exited with $status\n");
        exit(1);
    }
    return (hrtime(true) - $start) / 1e6;
};
$opcache = ' -d opcache.enable_cli=1 -d opcache.file_cache=' . escapeshellarg($cache) . ' -d opcache.file_cache_only=1';
$time($client, $opcache);
$times = [
    'bare php -r LPUSH' => [],
    'sendTask()' => [],
    'bare + autoloader' => [],
    'bare, file cache' => [],
    'sendTask(), file cache' => [],
];
for ($i = 0; $i < $runs; $i++) {
    $times['bare php -r LPUSH'][] = $time($bare);
    $times['sendTask()'][] = $time($client);
    $times['bare + autoloader'][] = $time($bareAutoload);
    $times['bare, file cache'][] = $time($bare, $opcache);
    $times['sendTask(), file cache'][] = $time($client, $opcache);
}
exec('rm -rf ' . escapeshellarg($cache));
$redis = new Redis();
$redis->connect($host, $port);
$redis->select((int) trim($parts['path'] ?? '0', '/'));
$redis->del('cold', 'cold-raw');
exec(escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg('putenv("BENCH_FILES=1");' . $client), $files);
$redis->del('cold');

printf("cold start, one task per fresh php process, median of %d alternating runs:\n", $runs);
foreach ($times as $name => $values) {
    printf("  %-24s %6.2f ms\n", $name, median($values));
}
printf(
    "  ratio sendTask()/bare: %.2f (%s files loaded)\n",
    median($times['sendTask()']) / median($times['bare php -r LPUSH']),
    $files[0] ?? '?',
);
printf(
    "  ratio sendTask()/bare with Composer's autoloader: %.2f (the library's own share)\n",
    median($times['sendTask()']) / median($times['bare + autoloader']),
);
printf(
    "  ratio with opcache.file_cache: %.2f\n",
    median($times['sendTask(), file cache']) / median($times['bare, file cache']),
);
