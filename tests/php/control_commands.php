<?php

// The PHP side of tests/test_control_commands.py: `php control_commands.php CASE` runs one
// case against the workers of CELERY_BROKER_URL / CELERY_RESULT_BACKEND and prints its JSON.
// CB_NODE names the worker the case addresses.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Control\Broadcast;

$celery = client_from_env();
$c = $celery->control();
$node = (string) getenv('CB_NODE');

$cases = [
    'rate_and_time_limit' => fn () => [
        $c->rateLimit('tasks.add', '10/m', destination: [$node]),
        $c->timeLimit('tasks.sleep', soft: 1.0, hard: 2.5, destination: [$node]),
        $c->registered(['rate_limit', 'soft_time_limit', 'time_limit'], destination: [$node]),
        $c->rateLimit('tasks.nope', 5, destination: [$node]),
    ],
    'add_and_cancel_consumer' => function () use ($celery, $c, $node): array {
        $added = $c->addConsumer('ctl-extra', destination: [$node]);
        $value = $celery->sendTask('tasks.add', [20, 22], options: ['queue' => 'ctl-extra'])->get(timeout: 20.0);
        $queues = array_column($c->activeQueues(destination: [$node])[$node], 'name');
        $cancelled = $c->cancelConsumer('ctl-extra', destination: [$node]);
        // The worker cancels the consumer on its next loop iteration: ask until it has.
        $deadline = microtime(true) + 20;
        do {
            $after = array_column($c->activeQueues(destination: [$node])[$node], 'name');
        } while ($after !== ['celery'] && microtime(true) < $deadline);
        return [$added, $value, $queues, $cancelled, $after];
    },
    'pool_grow_and_shrink' => function () use ($c, $node): array {
        $processes = fn () => count($c->stats(destination: [$node])[$node]['pool']['processes']);
        // The pool starts or stops the process on its next maintenance pass: ask until it has.
        $until = function (int $count) use ($processes): int {
            $deadline = microtime(true) + 20;
            while (($now = $processes()) !== $count && microtime(true) < $deadline) {
                usleep(100000);
            }
            return $now;
        };
        $before = $processes();
        $grown = $c->poolGrow(1, destination: [$node]);
        $during = $until(2);
        $shrunk = $c->poolShrink(1, destination: [$node]);
        return [$before, $grown, $during, $shrunk, $until(1)];
    },
    'disabled_commands' => fn () => [
        $c->poolRestart(destination: [$node]),
        $c->autoscale(4, 1, destination: [$node]),
        $c->broadcast('no_such_command', ['x' => 1], [$node], reply: true),
        $c->objgraph(timeout: 10.0, destination: [$node]),
    ],
    'events_on_and_off' => fn () => [$c->enableEvents([$node]), $c->enableEvents([$node]), $c->disableEvents([$node])],
    'inspect_every_kind' => function () use ($celery, $c, $node): array {
        $running = $celery->sendTask('tasks.sleep', [3]);
        $later = $celery->sendTask('tasks.add', [1, 1], options: ['countdown' => 120]);
        // The worker reports a task as active once it has started it: ask until it does.
        $deadline = microtime(true) + 20;
        do {
            $active = $c->active(destination: [$node]);
        } while (($active[$node] ?? []) === [] && microtime(true) < $deadline);
        $c->revoke($later->id);
        $info = $active[$node][0];
        $all = [];
        foreach (array_keys(Broadcast::INSPECT) as $kind) {
            if ($kind !== 'objgraph') {
                $all[$kind] = $c->inspect($kind, 2.0, [$node]);
            }
        }
        $out = [
            'active' => [$info->id, $info->name, $info->args, $info->argsRepr, $info->worker,
                $info->started?->format('U.u'), $running->id],
            'scheduled' => array_map(fn ($t) => [$t->id, $t->eta !== null], $c->scheduled(2.0, [$node])[$node]),
            'later' => $later->id,
            'query' => array_map(
                fn ($e) => [$e[0], $e[1]->name],
                $c->queryTask([$running->id, $later->id, 'none'], destination: [$node])[$node],
            ),
            'revoked' => $c->revoked(destination: [$node])[$node],
            'clock' => $c->clock(destination: [$node])[$node],
            'report' => $c->report(destination: [$node])[$node],
            'conf' => array_slice(array_keys($c->conf(true, 10.0, [$node])[$node]), 0, 400),
            'stats' => $c->stats(destination: [$node])[$node]['pool']['max-concurrency'] ?? null,
            'kinds' => array_map(fn ($r) => array_keys($r), $all),
        ];
        $running->get(timeout: 20.0);
        return $out;
    },
    // No worker answers (remote control off): each call waits out its second.
    'nobody_answers' => function () use ($c): array {
        $t = microtime(true);
        $out = [$c->ping(timeout: 1.0), $c->rateLimit('tasks.add', '1/s', timeout: 1.0)];
        return [...$out, microtime(true) - $t];
    },
    // Two workers: limit, election, and a shutdown addressed to $node alone.
    'limit_election_shutdown' => function () use ($c, $node): array {
        $t = microtime(true);
        $limited = $c->inspect('ping', 30.0, null, 1);
        $took = microtime(true) - $t;
        $both = $c->ping(timeout: 2.0);
        $heard = $c->election('e-1', 'topic');
        return [$limited, $took, array_keys($both), $heard, $c->shutdown([$node], reply: false)];
    },
];
echo json_encode($cases[$argv[1]]());
