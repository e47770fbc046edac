<?php

// tests/test_priority.py: sends tasks.record([position, priority]) to queue CB_QUEUE for each
// priority of CB_PRIORITIES (JSON list), in order, with the settings CB_CONFIG (JSON); prints
// the ids.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;

$config = json_decode((string) getenv('CB_CONFIG'), true);
$celery = new CeleryClient(broker: (string) getenv('CELERY_BROKER_URL'), config: $config);
$ids = [];
foreach (json_decode((string) getenv('CB_PRIORITIES'), true) as $position => $priority) {
    $options = ['queue' => getenv('CB_QUEUE'), 'priority' => $priority];
    $ids[] = $celery->sendTask('tasks.record', [$position, $priority], [], $options)->id;
}
echo json_encode($ids);
