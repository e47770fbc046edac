<?php

// The PHP side of tests/test_revoke.py: `php revoke.php CASE` sends tasks that a worker holds
// for their ETA, then revokes them (by id, by stamped header, or addressed to one worker) and
// prints what it heard and read.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Exception\TaskRevoked;

$celery = client_from_env();
// A result's get(): "ran", or what TaskRevoked says.
$outcome = static function (string $id) use ($celery): string {
    try {
        $celery->result($id)->get(timeout: 10.0);
        return 'ran';
    } catch (TaskRevoked $e) {
        return $e->getMessage();
    }
};

$cases = [
    'send_eta' => fn () => $celery->sendTask('tasks.record', ['eta'], [], ['countdown' => 2])->id,
    // Revokes CB_TASK_ID through its handle: how many heard, its state, and get()'s outcome.
    'revoke_held' => function () use ($celery, $outcome): array {
        $id = (string) getenv('CB_TASK_ID');
        $heard = $celery->result($id)->revoke();
        $got = $outcome($id);
        return [$heard, $celery->result($id)->state(), $got];
    },
    'send_stamped' => function () use ($celery): array {
        $send = fn ($b) => $celery->sendTask('tasks.record', [$b], [], ['countdown' => 2, 'stamps' => ['batch' => $b]]);
        return [$send('b-1')->id, $send('b-2')->id];
    },
    // Revokes batch b-1 of CB_IDS (JSON, the ids of b-1 and b-2).
    'revoke_stamped' => function () use ($celery, $outcome): array {
        [$first, $second] = json_decode((string) getenv('CB_IDS'), true, 512, JSON_THROW_ON_ERROR);
        $heard = $celery->revokeByStampedHeaders(['batch' => 'b-1']);
        return [
            $heard,
            $outcome($first) === 'ran' ? 'ran' : 'revoked',
            $celery->result($second)->get(timeout: 10.0)['args'],
        ];
    },
    'send_to_second' => function () use ($celery): array {
        $later = ['queue' => 'second', 'countdown' => 1.5];
        return [
            $celery->sendTask('tasks.record', ['kept'], [], $later)->id,
            $celery->sendTask('tasks.record', ['dropped'], [], $later)->id,
        ];
    },
    // CB_KEPT revoked at first@CB_HOST, CB_DROPPED at second@CB_HOST.
    'revoke_addressed' => fn () => [
        $celery->revoke((string) getenv('CB_KEPT'), destination: ['first@' . getenv('CB_HOST')]),
        $celery->revoke((string) getenv('CB_DROPPED'), destination: ['second@' . getenv('CB_HOST')]),
    ],
];
echo json_encode($cases[$argv[1]]());
