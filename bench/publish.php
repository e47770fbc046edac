<?php

declare(strict_types=1);

// Publish cost: sendTask() next to the least a client can do (json_encode a minimal protocol-2
// message and LPUSH it with phpredis, no validation, no repr), measured in the same run against
// the same redis-server. The ratio is what validation, saferepr and the full header set cost.
//
//   CELERY_BROKER_URL=redis://127.0.0.1:6379/0 BENCH_TASKS=5000 php bench/publish.php
//
// `make bench` runs every bench/*.php against a throwaway redis-server.

require __DIR__ . '/../vendor/autoload.php';

use CeleryBridge\CeleryClient;

$url = getenv('CELERY_BROKER_URL') ?: 'redis://127.0.0.1:6379/0';
$count = (int) (getenv('BENCH_TASKS') ?: 5000);
$rounds = 5;
$parts = parse_url($url);
$db = (int) trim($parts['path'] ?? '0', '/');

$redis = new Redis();
$redis->connect($parts['host'], $parts['port'] ?? 6379);
$redis->select($db);

$baseline = static function (int $i) use ($redis): void {
    $id = bin2hex(random_bytes(16));
    $body = base64_encode(json_encode([[$i, $i], new stdClass(), new stdClass()]));
    $redis->lPush('bench', json_encode([
        'body' => $body, 'content-encoding' => 'utf-8', 'content-type' => 'application/json',
        'headers' => ['lang' => 'py', 'task' => 'tasks.add', 'id' => $id],
        'properties' => ['delivery_info' => ['exchange' => '', 'routing_key' => 'bench'],
            'body_encoding' => 'base64', 'delivery_tag' => $id, 'priority' => 0],
    ]));
};
$celery = new CeleryClient(broker: $url);
$client = static function (int $i) use ($celery): void {
    $celery->sendTask('tasks.add', [$i, $i], [], ['queue' => 'bench']);
};

$measure = static function (callable $publish) use ($count): float {
    $start = hrtime(true);
    for ($i = 0; $i < $count; $i++) {
        $publish($i);
    }
    return (hrtime(true) - $start) / 1e9;
};

// Warm up both paths (connect, autoload), then alternate rounds so drift hits both alike.
$baseline(0);
$client(0);
$times = ['baseline' => [], 'sendTask' => []];
for ($round = 0; $round < $rounds; $round++) {
    $times['baseline'][] = $measure($baseline);
    $times['sendTask'][] = $measure($client);
    $redis->del('bench');
}
$best = array_map('min', $times);
printf("publish, %d tasks x %d rounds (best round):\n", $count, $rounds);
foreach ($best as $name => $seconds) {
    printf("  %-9s %7.1f us/task  %8.0f tasks/s\n", $name, $seconds / $count * 1e6, $count / $seconds);
}
printf("  ratio sendTask/baseline: %.2f\n", $best['sendTask'] / $best['baseline']);
