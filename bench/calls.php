<?php

declare(strict_types=1);

// What bench/run.sh runs under callgrind to count the instructions of whole calls, I/O
// included: a client sends one task first (so connecting and the first call's setup are not
// counted), then BENCH_CALLS more, with sendTask('tasks.add', [$i, $i]) one by one
// (BENCH_MODE=task) or with one sendMany() of prebuilt Signatures (BENCH_MODE=many). The
// difference between two counts (1 call and 1001) over 1000 is the cost of one call, free of
// machine noise. BENCH_CLIENT picks the Redis client library (redis_client: phpredis, predis).
// BENCH_MODE=raw and raw-pipelined count the baselines instead: a phpredis LPUSH of a message
// sendTask() built beforehand, one by one or 100 per pipeline (bench/publish.php's raw rows).
//
//   tests/run_with_redis.sh env BENCH_MODE=task BENCH_CALLS=1000 php bench/calls.php

require __DIR__ . '/../vendor/autoload.php';

use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;

$url = getenv('CELERY_BROKER_URL') ?: 'redis://127.0.0.1:6379/0';
$count = (int) (getenv('BENCH_CALLS') ?: 1);
$client = getenv('BENCH_CLIENT') ?: 'phpredis';
$mode = getenv('BENCH_MODE') ?: 'task';
$many = $mode === 'many';
if ($client === 'predis' && !class_exists(Predis\Client::class)) {
    // Debian's php-predis, when Composer did not install Predis.
    require_once 'Predis/Autoloader.php';
    Predis\Autoloader::register();
}

$celery = new CeleryClient(broker: $url, config: ['task_default_queue' => 'bench-calls', 'redis_client' => $client]);
$signatures = [];
for ($i = 0; $i < 1001; $i++) {
    $signatures[] = new Signature('tasks.add', [$i, $i]);
}
if ($mode === 'raw' || $mode === 'raw-pipelined') {
    $parts = parse_url($url);
    $redis = new Redis();
    $redis->connect($parts['host'], $parts['port'] ?? 6379);
    $redis->select((int) trim($parts['path'] ?? '0', '/'));
    $celery->sendTask('tasks.add', [0, 0]);
    // The bytes sendTask() writes, so that the baseline pushes the same message.
    $prebuilt = (string) $redis->lPop('bench-calls');
    $redis->lPush('bench-calls', $prebuilt);
    for ($i = 0; $i < $count; $i += 100) {
        if ($mode === 'raw-pipelined') {
            $redis->pipeline();
        }
        for ($j = $i; $j < min($count, $i + 100); $j++) {
            $redis->lPush('bench-calls', $prebuilt);
        }
        if ($mode === 'raw-pipelined') {
            $redis->exec();
        }
    }
} elseif ($many) {
    // Two tasks first: a chunk of more than one write loads the MULTI/EXEC classes, which
    // are then loaded in both counted runs.
    $celery->sendMany([$signatures[0], $signatures[1]]);
    $celery->sendMany(array_slice($signatures, 0, $count));
} else {
    $celery->sendTask('tasks.add', [0, 0]);
    for ($i = 0; $i < $count; $i++) {
        $celery->sendTask('tasks.add', [$i, $i]);
    }
}
$celery->purgeQueue('bench-calls');
