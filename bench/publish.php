<?php

declare(strict_types=1);

// Publish throughput next to the least any client can do, measured in the same run against the
// same redis-server, in alternating rounds (medians of BENCH_ROUNDS, 5 by default):
//
//   raw LPUSH        phpredis LPUSH of one prebuilt message: the limit for one-at-a-time
//   sendTask()       sendTask('tasks.add', [$i, $i]): builds every message, one round trip each
//   raw pipelined    phpredis LPUSH of the prebuilt message, 100 per round trip: the batch limit
//   sendMany()       sendMany() of prebuilt Signatures('tasks.add', [$i, $i])
//
// Ratios are throughputs (higher is better): sendTask / raw LPUSH, sendMany / raw LPUSH,
// sendMany / raw pipelined. Loopback timings on a 2-CPU machine swing with where the processes
// run: bench/run.sh runs this once with redis-server and PHP pinned to one CPU (client CPU
// shows) and once unpinned.
//
//   tests/run_with_redis.sh php bench/publish.php        BENCH_TASKS=20000 BENCH_ROUNDS=5

require __DIR__ . '/../vendor/autoload.php';
require __DIR__ . '/rounds.php';

use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;

$url = getenv('CELERY_BROKER_URL') ?: 'redis://127.0.0.1:6379/0';
$count = (int) (getenv('BENCH_TASKS') ?: 20000);
$rounds = (int) (getenv('BENCH_ROUNDS') ?: 5);
$parts = parse_url($url);

$redis = new Redis();
$redis->connect($parts['host'], $parts['port'] ?? 6379);
$redis->select((int) trim($parts['path'] ?? '0', '/'));

$celery = new CeleryClient(broker: $url, config: ['task_default_queue' => 'bench']);
$celery->sendTask('tasks.add', [0, 0]);
// A message as sendTask() builds it, so the raw baselines push the same bytes.
$prebuilt = (string) $redis->lPop('bench');
$signatures = [];
for ($i = 0; $i < $count; $i++) {
    $signatures[] = new Signature('tasks.add', [$i, $i]);
}

$methods = [
    'raw LPUSH' => static function () use ($redis, $prebuilt, $count): void {
        for ($i = 0; $i < $count; $i++) {
            $redis->lPush('bench-raw', $prebuilt);
        }
    },
    'sendTask()' => static function () use ($celery, $count): void {
        for ($i = 0; $i < $count; $i++) {
            $celery->sendTask('tasks.add', [$i, $i]);
        }
    },
    'raw pipelined' => static function () use ($redis, $prebuilt, $count): void {
        for ($i = 0; $i < $count; $i += 100) {
            $redis->pipeline();
            for ($j = $i; $j < min($count, $i + 100); $j++) {
                $redis->lPush('bench-raw', $prebuilt);
            }
            $redis->exec();
        }
    },
    'sendMany()' => static function () use ($celery, $signatures): void {
        $celery->sendMany($signatures);
    },
];

$per = median_rounds($methods, $rounds, $count, static fn () => $redis->del('bench-raw', 'bench'));
printf("publish, %d tasks, median of %d alternating rounds:\n", $count, $rounds);
foreach ($per as $name => $seconds) {
    printf("  %-14s %7.2f us/task %9.0f tasks/s\n", $name, $seconds * 1e6, 1 / $seconds);
}
printf("  ratio sendTask()/raw LPUSH:      %.2f\n", $per['raw LPUSH'] / $per['sendTask()']);
printf("  ratio sendMany()/raw LPUSH:      %.2f\n", $per['raw LPUSH'] / $per['sendMany()']);
printf("  ratio sendMany()/raw pipelined:  %.2f\n", $per['raw pipelined'] / $per['sendMany()']);
