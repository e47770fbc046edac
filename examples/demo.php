<?php

declare(strict_types=1);

// Sends a few tasks to the Celery workers listening on CELERY_BROKER_URL and prints their ids.
//
//   CELERY_BROKER_URL=redis://127.0.0.1:6379/0 php examples/demo.php
//
// `make demo` starts a throwaway redis-server and a worker (python_worker) and runs this.

require __DIR__ . '/../vendor/autoload.php';

use CeleryBridge\CeleryClient;

$celery = new CeleryClient(
    broker: getenv('CELERY_BROKER_URL') ?: 'redis://127.0.0.1:6379/0',
    backend: getenv('CELERY_RESULT_BACKEND') ?: null,
);

$sent = [
    'tasks.add(2, 3)' => $celery->sendTask('tasks.add', [2, 3]),
    'tasks.add(x=4, y=5)' => $celery->sendTask('tasks.add', [], ['x' => 4, 'y' => 5]),
    // countdown becomes an absolute UTC eta; the worker holds the message until then.
    'tasks.add(10, 20) countdown=2' => $celery->sendTask('tasks.add', [10, 20], [], ['countdown' => 2]),
    // On Redis 0 is the highest priority and 9 the lowest (the reverse of RabbitMQ).
    'tasks.add(100, 1) priority=9' => $celery->sendTask('tasks.add', [100, 1], [], ['priority' => 9]),
];

foreach ($sent as $call => $result) {
    printf("sent %-32s id %s\n", $call, $result->id);
}
