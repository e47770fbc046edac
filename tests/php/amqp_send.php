<?php

// The PHP side of tests/over_amqp/test_amqp_transport.py: a CeleryClient on the RabbitMQ broker
// CELERY_BROKER_URL (results on CELERY_RESULT_BACKEND) runs the calls CB_CALLS describes (JSON
// list) with the config CB_CONFIG (JSON object) and prints one JSON line per call:
//   {"call": "task", "name": ..., "args": [...], "kwargs": {...}, "options": {...}, "get": seconds}
//   {"call": "chain" | "group" | "chord", "tasks": [[name, args], ...], "body": [name, args], "get": seconds}
//   {"call": "many", "tasks": [[name, args], ...], "get": seconds}
// A task of "tasks" may be [name, args, kwargs, options] (options: a Signature's, e.g. task_id).
// "big": N replaces the args with one string of N bytes.
// Output: {"id": ..., "ids": [...], "result": ...} or {"error": class, "message", "task_ids",
// "uncertain", "queued"}.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;

$config = json_decode((string) (getenv('CB_CONFIG') ?: '{}'), true, 512, JSON_THROW_ON_ERROR);
$calls = json_decode((string) getenv('CB_CALLS'), true, 512, JSON_THROW_ON_ERROR);
$sig = static fn (array $t): Signature => new Signature($t[0], $t[1] ?? [], $t[2] ?? [], $t[3] ?? []);

$result = static function (AsyncResult|GroupResult $r, ?float $get): array {
    $out = ['id' => $r->id];
    if ($r instanceof GroupResult) {
        $out['ids'] = array_map(static fn ($c) => $c->id, $r->results);
    }
    if ($get !== null) {
        $out['result'] = $r->get(timeout: $get);
    }
    return $out;
};

try {
    $celery = new CeleryClient((string) getenv('CELERY_BROKER_URL'), getenv('CELERY_RESULT_BACKEND') ?: null, $config);
} catch (CeleryBridgeException $e) {
    echo json_encode(['error' => $e::class, 'message' => $e->getMessage()]), "\n";
    exit(0);
}
foreach ($calls as $call) {
    if (isset($call['big'])) {
        // A large argument built here (an environment variable holds at most 128 KiB).
        $call['args'] = [str_repeat('x', (int) $call['big'])];
    }
    $get = isset($call['get']) ? (float) $call['get'] : null;
    try {
        $out = match ($call['call']) {
            'task' => $result($celery->sendTask(
                $call['name'],
                $call['args'] ?? [],
                $call['kwargs'] ?? [],
                $call['options'] ?? [],
            ), $get),
            'chain' => $result($celery->send(new Chain(...array_map($sig, $call['tasks']))), $get),
            'group' => $result($celery->send(new Group(...array_map($sig, $call['tasks']))), $get),
            'chord' => $result($celery->send(new Chord(new Group(...array_map($sig, $call['tasks'])), $sig($call['body']))), $get),
            // The client left idle this long (what an idle connection meets: heartbeats, cuts).
            'idle' => ['idle' => usleep((int) ($call['seconds'] * 1e6)) ?? $call['seconds']],
            'many' => ['results' => array_map(
                static fn ($r) => $result($r, $get),
                $celery->sendMany(array_map($sig, $call['tasks']), $call['options'] ?? []),
            )],
        };
    } catch (CeleryBridgeException $e) {
        $out = ['error' => $e::class, 'message' => $e->getMessage()];
        if ($e instanceof ConnectionFailed) {
            $out += ['task_ids' => $e->taskIds(), 'uncertain' => $e->uncertainTaskIds(), 'queued' => $e->queuedTaskIds()];
        }
    }
    echo json_encode($out), "\n";
}
