<?php

declare(strict_types=1);

// What an application writes, persistent: a client per request on phpredis's socket pool.
require getenv('BENCH_ROOT') . '/vendor/autoload.php';

$celery = new CeleryBridge\CeleryClient(getenv('CELERY_BROKER_URL'), config: ['redis_persistent' => true]);
$celery->sendTask('tasks.add', [1, 2]);
echo "queued\n";
