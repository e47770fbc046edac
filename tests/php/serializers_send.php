<?php

// tests/test_serializers.py: sends tasks.record with the same arguments once per options array
// of CB_OPTIONS (JSON list), from a client with the settings CB_CONFIG (JSON); prints the ids.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;

$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$celery = new CeleryClient(broker: (string) getenv('CELERY_BROKER_URL'), config: $config);
$args = [1, 2.5, 'é😀', [true, null], ['k' => []]];
$ids = [];
foreach (json_decode((string) getenv('CB_OPTIONS'), true, 512, JSON_THROW_ON_ERROR) as $options) {
    $ids[] = $celery->sendTask('tasks.record', $args, ['n' => 7], $options)->id;
}
echo json_encode($ids);
