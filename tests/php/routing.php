<?php

// The PHP side of tests/test_routing.py: `php routing.php CASE` sends tasks.record tasks to
// CELERY_BROKER_URL, routed by the queue option or by task_routes, and prints their ids.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;


$cases = [
    'queue_option' => function () use ($brokerUrl): array {
        $celery = new CeleryClient(broker: $brokerUrl);
        return [
            'routed' => $celery->sendTask('tasks.record', ['routed'], [], ['queue' => 'by-option'])->id,
            'default' => $celery->sendTask('tasks.record', ['default'])->id,
        ];
    },
    'task_routes' => function () use ($brokerUrl): array {
        $send = function (array $routes, array $options = []) use ($brokerUrl): string {
            $celery = new CeleryClient(broker: $brokerUrl, config: ['task_routes' => $routes]);
            return $celery->sendTask('tasks.record', [], [], $options)->id;
        };
        return [
            // Exact names are looked up before patterns, whatever the order they are written in.
            'exact' => $send(['tasks.*' => 'by-glob', 'tasks.record' => ['queue' => 'by-exact']]),
            // Only a key with "*" is a pattern (then "?" and "[...]" are fnmatch syntax too).
            'glob' => $send(['other.*' => 'nowhere', 't*s.re[a-c]o?d' => 'by-glob']),
            // Patterns are tried in the order given.
            'glob_order' => $send(['tasks.rec*' => 'by-glob', 'tasks.*' => 'nowhere']),
            // A list of routers: the first one that knows the task wins.
            'router_list' => $send([['tasks.add' => 'nowhere'], ['tasks.r*' => 'by-exact'], ['*' => 'x']]),
            'option_wins' => $send(['tasks.record' => 'nowhere'], ['queue' => 'by-option']),
            // No "*": "tasks.rec?rd" is a literal name. Matching is case-sensitive and whole-name.
            'no_match' => $send(['tasks.rec?rd' => 'x', 'tasks.record.*' => 'nowhere', 'Tasks.*' => 'x']),
        ];
    },
    // Through a named exchange and routing key (task_queues bindings on the worker side); with
    // CB_SEP, kombu's sep transport option.
    'exchange' => function () use ($brokerUrl): string {
        $config = getenv('CB_SEP') ? ['broker_transport_options' => ['sep' => getenv('CB_SEP')]] : [];
        $celery = new CeleryClient(broker: $brokerUrl, config: $config);
        $options = ['exchange' => getenv('CB_EXCHANGE'), 'routing_key' => 'video'];
        return $celery->sendTask('tasks.record', ['video'], [], $options)->id;
    },
];
echo json_encode($cases[$argv[1]]());
