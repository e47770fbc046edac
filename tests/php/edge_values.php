<?php

// tests/test_edge_values.py: sends tasks.record with two datetimes whose zones had a local mean
// time offset (seconds included), and prints the task id.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;

$celery = new CeleryClient((string) getenv('CELERY_BROKER_URL'));
$amsterdam = new DateTimeImmutable('1900-01-01 12:00:00', new DateTimeZone('Europe/Amsterdam'));
$newYork = new DateTimeImmutable('1880-06-01 08:30:00.5', new DateTimeZone('America/New_York'));
echo json_encode($celery->sendTask('tasks.record', [$amsterdam, $newYork])->id);
