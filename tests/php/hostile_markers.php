<?php

// Tries every (place, marker) pair of CB_CASES (JSON) as a task argument, kwargs, header, stamp or
// link kwargs, then two task_routes globs that are not valid; prints for each whether CeleryBridge
// refused it with its own exception, as JSON. tests/test_hostile_input.py drives it.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;

$brokerUrl = (string) getenv('CELERY_BROKER_URL');
$cases = json_decode(getenv('CB_CASES'), true, 512, JSON_THROW_ON_ERROR);
$celery = new CeleryClient($brokerUrl);
$out = [];
foreach ($cases as [$place, $marker]) {
    try {
        match ($place) {
            'args' => $celery->sendTask('tasks.add', [$marker, 1]),
            'kwargs' => $celery->sendTask('tasks.add', [], ['x' => ['nested' => $marker]]),
            'kwargs_itself' => $celery->sendTask('tasks.add', [], $marker),
            'headers' => $celery->sendTask('tasks.add', [1, 2], [], ['headers' => ['h' => $marker]]),
            'stamps' => $celery->sendTask('tasks.add', [1, 2], [], ['stamps' => ['s' => ['in' => $marker]]]),
            'link_kwargs' => $celery->sendTask('tasks.add', [1, 2], [], [
                'link' => new CeleryBridge\Canvas\Signature('tasks.add', [], ['y' => $marker]),
            ]),
        };
        $out[] = 'published';
    } catch (\Throwable $e) {
        $ours = $e instanceof CeleryBridge\Exception\CeleryBridgeException;
        $out[] = ($ours ? 'ours: ' : 'NOT OURS: ') . $e->getMessage();
    }
}
foreach (['x[z-a]*', '*[!]*'] as $glob) {
    try {
        new CeleryClient($brokerUrl, config: ['task_routes' => [$glob => 'q']]);
        $out[] = 'accepted';
    } catch (CeleryBridge\Exception\InvalidConfiguration $e) {
        $out[] = 'ours: ' . $e->getMessage();
    }
}
echo json_encode($out);
