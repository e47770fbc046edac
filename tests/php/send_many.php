<?php

// The PHP side of tests/test_send_many.py: `php send_many.php CASE` builds the canvases CB_SPECS
// describes (JSON list of [kind, marker]; each task is tasks.record with kwargs m=marker) and
// publishes them. CB_BROKER, when set, is the broker and backend URL (a fault proxy).

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\PublishOutcomeUnknown;

$proxied = (string) getenv('CB_BROKER');

$rec = fn (string $m, array $o = []) => new Signature('tasks.record', [], ['m' => $m], $o);
$canvas = fn (array $spec): Canvas => match ($spec[0]) {
    'plain' => $rec($spec[1]),
    'options' => $rec($spec[1], ['priority' => 3, 'headers' => ['x-n' => $spec[1]]]),
    'chain' => new Chain($rec("$spec[1]-a"), $rec("$spec[1]-b")),
    'group' => new Group($rec("$spec[1]-a"), $rec("$spec[1]-b")),
    'chord' => new Chord(new Group($rec("$spec[1]-a"), $rec("$spec[1]-b")), $rec("$spec[1]-body")),
};
$specs = json_decode(getenv('CB_SPECS'), true, 512, JSON_THROW_ON_ERROR);
$canvases = array_map($canvas, $specs);

$cases = [
    'run_all' => function () use ($brokerUrl, $backendUrl, $canvases): void {
        $celery = new CeleryClient($brokerUrl, $backendUrl);
        $results = $celery->sendMany($canvases);
        echo json_encode(['count' => count($results), 'first' => $results[0]->get(timeout: 30.0)['kwargs']['m'],
            'chord' => $results[19]->get(timeout: 30.0)['kwargs']['m']]);
    },
    // To a queue no worker reads.
    'to_nobody' => function () use ($brokerUrl, $backendUrl, $canvases): void {
        (new CeleryClient($brokerUrl, $backendUrl, ['task_default_queue' => 'nobody']))->sendMany($canvases);
    },
    // Through the proxy, which cuts the connection; then one task marks the end.
    'cut' => function () use ($proxied, $canvases): void {
        $celery = new CeleryClient($proxied, config: [
            'broker_transport_options' => ['socket_timeout' => 1.0],
        ]);
        try {
            $celery->sendMany($canvases);
            $out = ['outcome' => 'ok'];
        } catch (ConnectionFailed $e) {
            $out = ['outcome' => (new ReflectionClass($e))->getShortName(), 'queued' => count($e->queuedTaskIds()),
                'not_queued' => count($e->taskIds()), 'uncertain' => count($e->uncertainTaskIds()),
                'message' => $e->getMessage()];
        }
        $celery->sendTask('tasks.record', [], ['m' => 'end']);
        echo json_encode($out);
    },
    // A chord through the proxy (broker and backend one database), then the same chord whole.
    'chord_cut' => function () use ($proxied, $canvas): void {
        $celery = new CeleryClient($proxied, $proxied);
        try {
            $celery->send($canvas(['chord', 'cut']));
            $out = ['outcome' => 'ok'];
        } catch (PublishOutcomeUnknown $e) {
            $out = ['outcome' => 'unknown', 'uncertain' => count($e->uncertainTaskIds()), 'canvas' => $e->canvasId()];
        }
        // Once the proxy has struck, the same chord goes through whole.
        $body = $celery->send($canvas(['chord', 'whole']));
        $out['whole'] = $body->get(timeout: 30.0)['kwargs']['m'];
        echo json_encode($out);
    },
];
$cases[$argv[1]]();
