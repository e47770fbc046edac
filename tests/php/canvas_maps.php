<?php

// The PHP side of tests/test_canvas_maps.py: `php canvas_maps.php refused` tries the map forms
// CeleryBridge refuses (chunks inside a chain, group or chord; starmap items that are not
// argument lists; n < 1; a link on chunks) and prints each refusal as "ExceptionClass: message",
// or null where nothing was thrown; `php canvas_maps.php routed` sends a starmap and chunks of
// tasks.add, which task_routes sends to "maps-routed".

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Chunks;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Canvas\XStarMap;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\InvalidTaskArgument;

$add = new Signature('tasks.add');
$xsum = new Signature('tasks.xsum');

$cases = [
    'refused' => function () use ($brokerUrl, $backendUrl, $add, $xsum): void {
        $config = ['task_default_queue' => 'maps-refused'];
        $refusing = new CeleryClient(
            broker: $brokerUrl,
            backend: $backendUrl,
            config: $config,
        );
        $chunks = new Chunks($add, [[1, 2]], 1);
        $errors = [];
        $attempts = [
            fn () => $refusing->send(new Chain($add, $chunks)),
            fn () => $refusing->send(new Group($chunks)),
            fn () => $refusing->send(new Chord([$chunks], $xsum)),
            fn () => new XStarMap($add, [[1, 2], 3]),
            fn () => new Chunks($add, [[1, 2]], 0),
            fn () => $chunks->withLink($xsum),
        ];
        foreach ($attempts as $attempt) {
            try {
                $attempt();
                $errors[] = null;
            } catch (InvalidCanvas | InvalidTaskArgument $e) {
                $errors[] = (new ReflectionClass($e))->getShortName() . ': ' . $e->getMessage();
            }
        }
        echo json_encode($errors);
    },
    'routed' => function () use ($brokerUrl, $add): void {
        $routes = ['tasks.add' => ['queue' => 'maps-routed']];
        $routed = new CeleryClient(broker: $brokerUrl, config: ['task_routes' => $routes]);
        $routed->send(new XStarMap($add, [[1, 2]]));
        $routed->send(new Chunks($add, [[1, 2], [3, 4]], 1));
    },
];
$cases[$argv[1]]();
