<?php

// tests/test_queue_tools.py: `php queue_tools.php fill` sends nine tasks of several priorities to
// queue "tools" and one elsewhere, printing the lengths before and after; `php queue_tools.php
// purge` purges "tools". The client is CELERY_BROKER_URL with the settings CB_CONFIG (JSON).

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;

$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$celery = new CeleryClient((string) getenv('CELERY_BROKER_URL'), null, $config);
if ($argv[1] === 'purge') {
    echo json_encode([$celery->purgeQueue('tools'), $celery->queueLength('tools')]);
    exit;
}
$empty = $celery->queueLength('tools');
foreach ([0, 0, 2, 3, 5, 6, 7, 9, 9] as $priority) {
    $celery->sendTask('tasks.record', [], [], ['queue' => 'tools', 'priority' => $priority]);
}
$celery->sendTask('tasks.record', [], [], ['queue' => 'elsewhere']);
echo json_encode([$empty, $celery->queueLength('tools'), $celery->queueLength('elsewhere')]);
