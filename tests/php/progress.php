<?php

// The PHP side of tests/test_progress.py: `php progress.php CASE` waits on tasks with
// get(onMessage: ...) and prints each state it was told about. CB_GATE names the list that
// tasks.progress_steps waits on before each step; this script opens it on each PROGRESS.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Result\State;

$celery = client_from_env();

$cases = [
    'every_progress_state' => function () use ($celery, $brokerUrl): array {
        $gates = redis_at($brokerUrl);
        $gate = (string) getenv('CB_GATE');
        $result = $celery->sendTask('tasks.progress_steps', [$gate, 3]);
        $seen = [];
        $typed = null;
        $onMessage = function (ResultMeta $meta) use ($gates, $gate, $result, &$seen, &$typed) {
            $seen[] = [$meta->taskId === $result->id, $meta->status, $meta->result];
            if ($meta->status === 'PROGRESS') {
                // What any reader sees meanwhile: the custom state and its meta.
                $typed ??= [$result->state(), $result->info(), $result->ready(), State::isBuiltin($result->state())];
                $gates->rPush($gate, 'go');
            }
        };
        $value = $result->get(timeout: 30.0, onMessage: $onMessage);
        return [$value, $seen, $typed, $result->info()];
    },
    // A result stored before get() reaches the callback once, as its only state.
    'already_finished' => function () use ($celery): array {
        $result = $celery->sendTask('tasks.add', [2, 3]);
        $celery->result($result->id)->get(timeout: 30.0);
        $seen = [];
        $value = $celery->result($result->id)->get(timeout: 5.0, onMessage: function ($meta) use (&$seen) {
            $seen[] = [$meta->status, $meta->result];
        });
        return [$value, $seen];
    },
];
echo json_encode($cases[$argv[1]]());
