<?php

// The PHP side of tests/test_celery_settings.py: `php celery_settings.php CASE` makes a client
// from CB_CONFIG (JSON, Celery setting names) alone and sends with it; prints the outcome, or
// the InvalidConfiguration message.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\InvalidConfiguration;

$config = json_decode(getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$cases = [
    'add' => fn (CeleryClient $celery) => ['value' => $celery->sendTask('tasks.add', [2, 3])->get(timeout: 10.0)],
    // The queue tasks.echo and tasks.log reach (the routing key the worker saw).
    'queues' => function (CeleryClient $celery): array {
        $queue = fn (string $task): string
            => $celery->sendTask($task, ['x'])->get(timeout: 10.0)['request']['delivery_info']['routing_key'];
        return ['default' => $queue('tasks.echo'), 'routed' => $queue('tasks.log')];
    },
];
try {
    echo json_encode($cases[$argv[1]](new CeleryClient(config: $config)));
} catch (InvalidConfiguration $e) {
    echo json_encode(['error' => $e->getMessage()]);
}
