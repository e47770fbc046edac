<?php

declare(strict_types=1);

// The floor endpoints: what Celery's send_task('tasks.add', (1, 2)) writes (protocol 2, kombu's
// Redis envelope), built inline by hand: no class, no autoloader, no check, no result handle,
// then one LPUSH on a fresh or ($persistent) pooled phpredis socket. It stands for a client
// reduced to the message alone, so its ratio shows how close to raw a PHP client can come.
$hex = bin2hex(random_bytes(48)); // the task id, the reply queue and the delivery tag: one read
$uuid = static fn (int $at): string => substr($hex, $at, 8) . '-' . substr($hex, $at + 8, 4) . '-4'
    . substr($hex, $at + 13, 3) . '-a' . substr($hex, $at + 17, 3) . '-' . substr($hex, $at + 20, 12);
$id = $uuid(0);
$tag = $uuid(64);
$body = [[1, 2], new stdClass(), ['callbacks' => null, 'errbacks' => null, 'chain' => null, 'chord' => null]];

$message = json_encode([
    'body' => base64_encode(json_encode($body)),
    'content-encoding' => 'utf-8',
    'content-type' => 'application/json',
    'headers' => [
        'lang' => 'py', 'task' => 'tasks.add', 'id' => $id, 'shadow' => null, 'eta' => null,
        'expires' => null, 'group' => null, 'group_index' => null, 'retries' => 0,
        'timelimit' => [null, null], 'root_id' => $id, 'parent_id' => null, 'argsrepr' => '[1, 2]',
        'kwargsrepr' => '{}', 'origin' => 'gen' . getmypid() . '@' . gethostname(),
        'ignore_result' => null, 'replaced_task_nesting' => 0, 'stamped_headers' => null,
        'stamps' => new stdClass(),
    ],
    'properties' => [
        'correlation_id' => $id, 'reply_to' => $uuid(32), 'delivery_mode' => 2,
        'delivery_info' => ['exchange' => '', 'routing_key' => 'celery'], 'priority' => 0,
        'body_encoding' => 'base64', 'delivery_tag' => $tag,
    ],
], JSON_UNESCAPED_SLASHES);

$redis = new Redis();
if ($persistent) {
    $redis->pconnect(getenv('BENCH_REDIS_HOST'), (int) getenv('BENCH_REDIS_PORT'));
} else {
    $redis->connect(getenv('BENCH_REDIS_HOST'), (int) getenv('BENCH_REDIS_PORT'));
}
$redis->lPush('celery', $message);
echo "queued\n";
