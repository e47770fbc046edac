<?php

// The PHP side of tests/test_result_handles.py: `php result_handles.php CASE` sends tasks to the
// session worker and prints, with view()/out() (result_view.php), what the handles returned.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/result_view.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;

$celery = client_from_env();

$cases = [
    // ignore_result: get() gives null at once; the same id read anew waits.
    'ignored' => function () use ($celery): void {
        $ignored = $celery->sendTask('tasks.ignored', [1], [], ['ignore_result' => true]);
        $started = hrtime(true);
        $value = $ignored->get(timeout: 5.0);
        $elapsed = (hrtime(true) - $started) / 1e9;
        $byId = $celery->result($ignored->id);
        $e = thrown(fn () => $byId->get(timeout: 0.3), ResultTimeout::class);
        $error = $e === null ? 'returned' : failure($e) + ['states' => $e->states];
        // The same client and connection go on working; this task runs after the ignored one.
        $after = $celery->sendTask('tasks.add', [20, 22])->get(timeout: 10.0);
        out(['id' => $ignored->id, 'value' => $value, 'ignored' => [$ignored->ignored(), $byId->ignored()],
            'elapsed' => $elapsed, 'error' => $error, 'after' => $after, 'state' => $ignored->state()]);
    },
    // 200 instant tasks, each waited for: the slowest wait and any wrong value.
    'instant_tasks' => function () use ($celery): void {
        $slowest = 0.0;
        $wrong = [];
        for ($i = 0; $i < 200; $i++) {
            $started = hrtime(true);
            $value = $celery->sendTask('tasks.identity', [$i])->get(timeout: 5.0);
            $slowest = max($slowest, (hrtime(true) - $started) / 1e9);
            if ($value !== $i) {
                $wrong[] = [$i, $value];
            }
        }
        out(['wrong' => $wrong, 'slowest' => $slowest]);
    },
    // 20 results (the 8th fails) waited for as one set, in reverse order, then in order.
    'result_set' => function () use ($celery): void {
        $results = [];
        for ($i = 0; $i < 20; $i++) {
            $results[] = $i === 7
                ? $celery->sendTask('tasks.fail', ['seven'])
                : $celery->sendTask('tasks.identity', [$i]);
        }
        $ids = array_map(static fn ($r) => $r->id, $results);
        $set = $celery->results(array_reverse($ids));
        $values = $set->get(timeout: 10.0, propagate: false);
        $e = thrown(fn () => $celery->results($ids)->get(timeout: 10.0), TaskFailed::class);
        $thrown = $e === null ? null : $e->taskId === $ids[7];
        out(['values' => array_map(static fn ($v) => is_object($v) ? $v->type : $v, $values),
            'states' => $set->states(), 'thrown' => $thrown, 'completed' => $set->completedCount()]);
    },
    // tasks.spawn starts two tasks: its children, as result handles.
    'children' => function () use ($celery): void {
        $parent = $celery->sendTask('tasks.spawn', [3]);
        $value = $parent->get(timeout: 10.0);
        out(['value' => $value, 'children' => array_map(
            fn ($child) => [get_debug_type($child), $child->get(timeout: 10.0)],
            $parent->children(),
        )]);
    },
    // The task CB_TASK_ID (sent from Python), read and then forgotten.
    'read_and_forget' => function () use ($celery): void {
        $r = $celery->result((string) getenv('CB_TASK_ID'));
        $value = $r->get(timeout: 10.0);
        $r->forget();
        out([$value, $r->state()]);
    },
    'no_backend' => function (): void {
        $celery = new CeleryClient(broker: (string) getenv('CELERY_BROKER_URL'));
        $e = thrown(fn () => $celery->sendTask('tasks.add', [1, 1])->get(timeout: 1.0), NoResultBackend::class);
        echo $e === null ? 'returned' : $e->getMessage();
    },
];
$cases[$argv[1]]();
