<?php

// The PHP side of tests/test_canvas.py and test_canvas_callbacks.py: `php canvas.php CASE` sends a canvas to the session
// worker (CELERY_BROKER_URL, results on CELERY_RESULT_BACKEND) and prints what it got back.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\TaskFailed;

$celery = client_from_env();
$add = fn (...$a) => new Signature('tasks.add', $a);
$mul = fn (...$a) => new Signature('tasks.mul', $a);
$xsum = new Signature('tasks.xsum');
$record = fn (...$a) => new Signature('tasks.record', $a);
$fail = (new Signature('tasks.fail', ['boom']))->asImmutable();
// A TaskFailed's task id and remote exception (type, module, message), or null.
$error = static function (Closure $get): ?array {
    try {
        $get();
        return null;
    } catch (TaskFailed $e) {
        return [$e->taskId, $e->remoteType(), $e->remoteModule(), $e->remoteMessage()];
    }
};

$cases = [
    'chain_in_order' => function () use ($celery, $record): array {
        $last = $celery->send(new Chain($record('first'), $record('second'), $record('third')));
        $second = $last->parent;
        $first = $second->parent;
        return [
            'ids' => [$first->id, $second->id, $last->id],
            'first_parent' => $first->parent,
            'last' => array_slice($last->get(timeout: 10.0)['args'], -1),
            'second' => array_slice($second->get(timeout: 10.0)['args'], -1),
        ];
    },
    'group_positions' => function () use ($celery, $record): array {
        $group = $celery->send(new Group($record('a'), $record('b'), $record('c')));
        $values = $group->get(timeout: 10.0);
        return ['id' => $group->id, 'ids' => $group->ids(), 'args' => array_column($values, 'args')];
    },
    'link_callbacks' => function () use ($celery): array {
        $log = new Signature('tasks.log');
        $second = (new Signature('tasks.log', ['second']))->asImmutable();
        $r = $celery->sendTask('tasks.add', [1, 2], [], [
            'link' => [$log, $second],
            'link_error' => new Signature('tasks.on_error'),
        ]);
        return ['id' => $r->id, 'value' => $r->get(timeout: 10.0)];
    },
    // CB_WAIT_ON: "last" waits on the step after the failed one, else on the failed one.
    'chain_step_fails' => function () use ($celery, $add, $fail, $record, $error): array {
        $last = $celery->send(
            new Chain($add(1, 1), $fail, $record('never')),
            ['link_error' => new Signature('tasks.on_error')],
        );
        $waited = getenv('CB_WAIT_ON') === 'last' ? $last : $last->parent;
        $withoutModule = fn (?array $e) => $e === null ? null : [$e[0], $e[1], $e[3]];
        return [
            'error' => $withoutModule($error(fn () => $waited->get(timeout: 10.0))),
            'own' => $withoutModule($error(fn () => $waited->get(timeout: 10.0, followParents: false))),
            'ids' => [$last->parent->parent->id, $last->parent->id, $last->id],
            'states' => [$last->parent->parent->state(), $last->parent->state(), $last->state()],
        ];
    },
    'chord_header_fails' => function () use ($celery, $add, $fail, $xsum, $error): array {
        $body = $celery->send(
            new Chord([$add(1, 1), $fail, $add(2, 2)], $xsum),
            ['link_error' => new Signature('tasks.on_error')],
        );
        return [
            'own' => $error(fn () => $body->get(timeout: 10.0, followParents: false)),
            'error' => $error(fn () => $body->get(timeout: 10.0)),
            'body' => $body->id,
            'header' => $body->parent->ids(),
            'header_states' => $body->parent->states(),
        ];
    },
    // A chord without a result backend, a chain under protocol 1: refused, nothing queued.
    'refused' => function () use ($brokerUrl): array {
        $add = fn (...$a) => new Signature('tasks.add', $a, [], ['queue' => 'refused']);
        $errors = [];
        $attempts = [
            fn () => (new CeleryClient(broker: $brokerUrl))->send(new Chord([$add(1, 1)], $add(1))),
            fn () => (new CeleryClient(broker: $brokerUrl, config: ['task_protocol' => 1]))
                ->send(new Chain($add(1, 1), $add(2))),
        ];
        foreach ($attempts as $attempt) {
            try {
                $attempt();
                $errors[] = null;
            } catch (InvalidCanvas $e) {
                $errors[] = $e->getMessage();
            }
        }
        return [$errors, (new CeleryClient(broker: $brokerUrl))->queueLength('refused')];
    },
    // A chain as an errback: refused before anything is written.
    'chain_errback_refused' => function () use ($brokerUrl): ?array {
        $celery = new CeleryClient(broker: $brokerUrl);
        $chain = new Chain(new Signature('tasks.record', ['a']), new Signature('tasks.record', ['b']));
        try {
            $celery->send((new Signature('tasks.fail', ['x'], [], ['queue' => 'refused']))->withLinkError($chain));
            return null;
        } catch (InvalidOption $e) {
            return [$e->getMessage(), $celery->queueLength('refused')];
        }
    },
    'empty_groups' => fn () => [
        $celery->send(new Group())->get(timeout: 10.0),
        $celery->send(new Chord([], $xsum))->get(timeout: 10.0),
        $celery->send(new Chain($add(1, 1), new Group(), $mul(3)))->get(timeout: 10.0),
        $celery->send(new Chord(new Group(), $add([7])))->get(timeout: 10.0),
    ],
    'save_group' => function () use ($celery, $add): array {
        $result = $celery->send(new Group($add(1, 1), new Group($add(2, 2), $add(3, 3))));
        $result->save();
        return ['id' => $result->id, 'ids' => $result->ids()];
    },
    // The group CB_GROUP_ID that Python saved, and one nobody saved.
    'restore_group' => function () use ($celery): array {
        $group = $celery->restoreGroup((string) getenv('CB_GROUP_ID'));
        return ['ids' => $group->ids(), 'values' => $group->get(timeout: 10.0),
            'missing' => $celery->restoreGroup('no-such-group')];
    },
    'chord_header_holding_a_group' => function () use ($celery, $add): array {
        $identity = new Signature('tasks.identity');
        $body = $celery->send(new Chord([new Chain($add(21, 21), new Group($identity, $identity))], $identity));
        return ['value' => $body->get(timeout: 10.0), 'group' => $body->parent->id];
    },
    // send($canvas, args: ..., kwargs: ...) for each kind of canvas.
    'partial_arguments' => fn () => [
        $celery->send($add(2), args: [1])->get(timeout: 10.0),
        $celery->send(new Group($add(1), $add(2)), args: [10])->get(timeout: 10.0),
        $celery->send(new Chain($add(1), $mul(3)), args: [10])->get(timeout: 10.0),
        $celery->send(new Chord([$add(1), $add(2)], $xsum), args: [10])->get(timeout: 10.0),
        $celery->send($add(5, 5)->asImmutable(), args: [10])->get(timeout: 10.0),
        $celery->send(new Signature('tasks.add', [1], ['y' => 1]), kwargs: ['y' => 5])->get(timeout: 10.0),
    ],
];
echo json_encode($cases[$argv[1]]());
