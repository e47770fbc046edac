<?php

// tests/test_logging.py: one sendTask and a sendMany of two to CB_BROKER (CB_CONFIG, JSON, the
// client's settings), with secrets in the arguments; prints the ids, the connection error if
// any, and every log record.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/CollectedLogger.php';

use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Tests\Php\CollectedLogger;

$logger = new CollectedLogger();
$config = json_decode(getenv('CB_CONFIG') ?: '[]', true, 512, JSON_THROW_ON_ERROR);
$celery = new CeleryClient(getenv('CB_BROKER'), config: $config, logger: $logger);
$out = [];
try {
    $out['ids'] = [$celery->sendTask('tasks.add', ['SECRET-ARG', 1], ['k' => 'SECRET-KWARG'])->id];
    $out['ids'] = [...$out['ids'], ...array_map(fn ($r) => $r->id, $celery->sendMany([
        new Signature('tasks.add', ['SECRET-ARG']),
        new Signature('tasks.mul', [2], options: ['queue' => 'other']),
    ]))];
} catch (ConnectionFailed $e) {
    $out['error'] = (new ReflectionClass($e))->getShortName();
    $out['uncertain'] = $e->uncertainTaskIds();
}
$out['records'] = $logger->records;
echo json_encode($out);
