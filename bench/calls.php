<?php

declare(strict_types=1);

// What bench/run.sh runs under callgrind to count the instructions of whole calls, I/O
// included: a client sends one task first (so connecting and the first call's setup are not
// counted), then BENCH_CALLS more, with sendTask('tasks.add', [$i, $i]) one by one
// (BENCH_MODE=task) or with one sendMany() of prebuilt Signatures (BENCH_MODE=many). The
// difference between two counts (1 call and 1001) over 1000 is the cost of one call, free of
// machine noise. BENCH_CLIENT picks the Redis client library (redis_client: phpredis, predis).
//
//   tests/run_with_redis.sh env BENCH_MODE=task BENCH_CALLS=1000 php bench/calls.php

require __DIR__ . '/../vendor/autoload.php';

use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;

$url = getenv('CELERY_BROKER_URL') ?: 'redis://127.0.0.1:6379/0';
$count = (int) (getenv('BENCH_CALLS') ?: 1);
$client = getenv('BENCH_CLIENT') ?: 'phpredis';
$many = getenv('BENCH_MODE') === 'many';
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
if ($many) {
    $celery->sendMany([$signatures[0]]);
    $celery->sendMany(array_slice($signatures, 0, $count));
} else {
    $celery->sendTask('tasks.add', [0, 0]);
    for ($i = 0; $i < $count; $i++) {
        $celery->sendTask('tasks.add', [$i, $i]);
    }
}
$celery->purgeQueue('bench-calls');
