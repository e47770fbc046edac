<?php

// The PHP side of tests/test_results.py and tests/test_result_handles.py: `php results.php CASE`
// reads results of tasks it sends to the session worker (or of the task CB_TASK_ID) and prints
// them, and what the handles returned, with view()/out()/failure() of result_view.php.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/result_view.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;

$celery = client_from_env();

$cases = [
    // A ValueError, an exception class of the worker's own, an unknown task name.
    'remote_exceptions' => function () use ($celery): void {
        $out = [];
        $calls = [['tasks.fail', ['boom']], ['tasks.fail_custom', ['no money']], ['tasks.no_such_task', [1]]];
        foreach ($calls as [$name, $args]) {
            $e = thrown(fn () => $celery->sendTask($name, $args)->get(timeout: 10.0), TaskFailed::class);
            $out[] = $e === null ? 'returned' : failure($e);
        }
        out($out);
    },
    'propagate_false' => function () use ($celery): void {
        $r = $celery->sendTask('tasks.fail', ['soft']);
        $info = $r->get(timeout: 10.0, propagate: false);
        out(['class' => $info::class, 'type' => $info->type, 'args' => $info->args, 'state' => $r->state(),
            'failed' => $r->failed(), 'ready' => $r->ready(), 'successful' => $r->successful(),
            'result_class' => $r->result()::class, 'traceback' => $r->traceback() !== null,
            'date_done' => $r->dateDone()?->format(DATE_ATOM)]);
    },
    // The task CB_TASK_ID, in RETRY, read by a process that did not send it.
    'retrying' => function () use ($celery): void {
        $r = $celery->result((string) getenv('CB_TASK_ID'));
        out(['state' => $r->state(), 'ready' => $r->ready(), 'type' => $r->result()->type,
            'message' => $r->result()->message(), 'traceback' => $r->traceback()]);
    },
    // An expired task, and one sent with the id CB_HELD the workers were told to revoke.
    'revoked_and_expired' => function () use ($celery): void {
        $out = [];
        $expired = $celery->sendTask('tasks.add', [1, 2], [], ['expires' => -5]);
        $revoked = $celery->sendTask('tasks.add', [1, 2], [], ['task_id' => (string) getenv('CB_HELD')]);
        foreach ([$revoked, $expired] as $r) {
            $e = thrown(fn () => $r->get(timeout: 10.0), TaskRevoked::class);
            $out[] = $e === null ? 'returned'
                : failure($e) + ['state' => $r->state(), 'ready' => $r->ready(), 'failed' => $r->failed()];
        }
        out($out);
    },
    'failure_stored_by_update_state' => function () use ($celery): void {
        $r = $celery->sendTask('tasks.fail_with_meta');
        $e = thrown(fn () => $r->get(timeout: 10.0), TaskFailed::class);
        out($e === null ? 'no exception' : ['stored' => $e->stored, 'type' => $e->remoteType(), 'state' => $r->state(),
            'result' => $r->result(), 'message' => $e->getMessage()]);
    },
    'revoked_without_exception_info' => function () use ($celery): void {
        $r = $celery->sendTask('tasks.revoked_bare');
        $e = thrown(fn () => $r->get(timeout: 10.0), TaskRevoked::class);
        out($e === null ? 'no exception' : failure($e) + ['state' => $r->state()]);
    },
    // Result handles (tests/test_result_handles.py).
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
