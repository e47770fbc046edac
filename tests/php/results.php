<?php

// The PHP side of tests/test_results.py: `php results.php CASE` reads results of tasks it sends
// to the session worker (or of the task CB_TASK_ID) and prints them with view()/out()/failure()
// of result_view.php.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/result_view.php';

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
];
$cases[$argv[1]]();
