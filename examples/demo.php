<?php

declare(strict_types=1);

// Sends tasks to the Celery workers on CELERY_BROKER_URL and prints what they returned. The tasks
// are this repository's python_worker ones (tasks.add, tasks.mul, ...): run it against that
// worker. For any other Celery project, examples/send_one.php sends one task by name.
//
//   CELERY_BROKER_URL=redis://127.0.0.1:6379/0 CELERY_RESULT_BACKEND=redis://127.0.0.1:6379/1 \
//       php examples/demo.php
//
// `make demo` starts a throwaway redis-server and a worker (python_worker) and runs this.

require __DIR__ . '/../vendor/autoload.php';

use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\TaskFailed;

$celery = new CeleryClient(
    broker: getenv('CELERY_BROKER_URL') ?: 'redis://127.0.0.1:6379/0',
    backend: getenv('CELERY_RESULT_BACKEND') ?: 'redis://127.0.0.1:6379/1',
);

// Options (countdown, queue, priority, ...) always go by name, options: [...]: the third
// positional argument is the task's kwargs, and a worker would get countdown=1 as a keyword.
$show = static function (string $call, mixed $value, ?string $id = null): void {
    printf("%-44s => %-14s %s\n", $call, json_encode($value), $id === null ? '' : "id $id");
};

$result = $celery->sendTask('tasks.add', [2, 3]);
$show('tasks.add(2, 3)', $result->get(timeout: 10), $result->id);

$result = $celery->sendTask('tasks.add', kwargs: ['x' => 1.5, 'y' => 2]);
$show('tasks.add(x=1.5, y=2)', $result->get(timeout: 10), $result->id);

// countdown becomes an absolute UTC eta; the worker holds the message until then.
$start = microtime(true);
$result = $celery->sendTask('tasks.add', [10, 20], options: ['countdown' => 1]);
$value = $result->get(timeout: 10);
$show(sprintf('tasks.add(10, 20) countdown=1 (%.2f s)', microtime(true) - $start), $value, $result->id);

// On Redis 0 is the highest priority and 9 the lowest (the reverse of RabbitMQ).
$result = $celery->sendTask('tasks.add', [100, 1], options: ['priority' => 9, 'time_limit' => 30]);
$show('tasks.add(100, 1) priority=9 time_limit=30', $result->get(timeout: 10), $result->id);

try {
    $celery->sendTask('tasks.fail', ['card declined'])->get(timeout: 10);
} catch (TaskFailed $e) {
    $show('tasks.fail("card declined")', $e->remoteType() . ': ' . $e->remoteMessage());
}

$add = static fn (int ...$numbers) => new Signature('tasks.add', $numbers);
$show('chain(add(2, 2), mul(4))', $celery->send(new Chain($add(2, 2), new Signature('tasks.mul', [4])))->get(timeout: 10));
$show('group(add(1, 1), add(2, 2))', $celery->send(new Group($add(1, 1), $add(2, 2)))->get(timeout: 10));
$show(
    'chord(group(add(1, 1), add(2, 2)), xsum())',
    $celery->send(new Chord(new Group($add(1, 1), $add(2, 2)), new Signature('tasks.xsum')))->get(timeout: 10),
);
