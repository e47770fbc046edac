<?php

declare(strict_types=1);

// Sends one task by name to whatever Celery workers consume the queue, and prints its result.
// Works with any Celery project (not only this repository's python_worker), from a checkout of
// this repository or from a Composer install:
//
//   CELERY_BROKER_URL=redis://127.0.0.1:6379/0 CELERY_RESULT_BACKEND=redis://127.0.0.1:6379/1 \
//       php examples/send_one.php tasks.add 2 3
//   php vendor/celery-bridge/celery-bridge/examples/send_one.php tasks.add 2 3   # in your project
//
// (The CLI does the same with more options: vendor/bin/celery-bridge send tasks.add --args '[2, 3]' --wait 10.)
//
// Arguments are read as JSON where they parse (2, "x", [1, 2], {"a": 1}), else as strings.
// When something is wrong it says what to check: an unknown task name, or a task that stays
// PENDING (no worker on the queue, or a worker without a result backend).

$autoloader = null;
foreach ([__DIR__ . '/../vendor/autoload.php', __DIR__ . '/../../../autoload.php', getcwd() . '/vendor/autoload.php'] as $candidate) {
    // A checkout of this repository, vendor/celery-bridge/celery-bridge/examples, or a copy of
    // this file run from a project's root.
    if (is_file($candidate)) {
        $autoloader = $candidate;
        break;
    }
}
if ($autoloader === null) {
    fwrite(STDERR, "No Composer autoloader found: run `composer install` first, or use vendor/bin/celery-bridge send.\n");
    exit(2);
}
require $autoloader;

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;

$name = $argv[1] ?? 'tasks.add';
$args = array_map(static function (string $arg): mixed {
    $value = json_decode($arg, true);
    return json_last_error() === JSON_ERROR_NONE ? $value : $arg;
}, array_slice($argv, 2));

try {
    $celery = new CeleryClient(
        broker: getenv('CELERY_BROKER_URL') ?: 'redis://127.0.0.1:6379/0',
        backend: getenv('CELERY_RESULT_BACKEND') ?: 'redis://127.0.0.1:6379/1',
    );
    $result = $celery->sendTask($name, $args);
    echo 'sent ', $name, ' as ', $result->id, PHP_EOL;
    echo 'result: ', json_encode($result->get(timeout: (float) (getenv('TIMEOUT') ?: 10))), PHP_EOL;
} catch (TaskFailed $e) {
    if ($e->remoteType() === 'NotRegistered') {
        echo "The worker does not know a task named \"$name\". Task names are the worker's registered names ",
            '(`celery -A <your app> inspect registered` lists them), e.g. "tasks.add" for add() in tasks.py.', PHP_EOL;
    } else {
        echo 'The task failed on the worker: ', $e->remoteType(), ': ', $e->remoteMessage(), PHP_EOL;
    }
    exit(1);
} catch (ResultTimeout $e) {
    // The message says whether the task still waits in its queue or was taken without a result.
    echo $e->getMessage(), PHP_EOL;
    exit(1);
} catch (CeleryBridgeException $e) {
    echo $e->getMessage(), PHP_EOL;
    exit(1);
}
