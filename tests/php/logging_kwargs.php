<?php

// tests/test_logging.py: kwargs named like options, in a sendTask without options, and the
// two calls around it; prints the log records and the three ids.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/CollectedLogger.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Tests\Php\CollectedLogger;

$logger = new CollectedLogger();
$celery = new CeleryClient((string) getenv('CELERY_BROKER_URL'), logger: $logger);
$kwargs = ['countdown' => 1, 'queue' => 'q', 'x' => 'SECRET-KWARG'];
$mistaken = $celery->sendTask('tasks.add', [10, 20], $kwargs);
$intended = $celery->sendTask('tasks.add', [10, 20], [], ['countdown' => 1]);
$plain = $celery->sendTask('tasks.add', [], ['x' => 1, 'y' => 2]);
echo json_encode(['records' => $logger->records, 'ids' => [$mistaken->id, $intended->id, $plain->id]]);
