<?php

// tests/test_logging.py: send() once per options array of CB_CALLS (JSON) to CB_BROKER with the
// settings CB_CONFIG (JSON); prints each call's error and its retries as [attempt, delay].

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/CollectedLogger.php';

use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Tests\Php\CollectedLogger;

$config = json_decode(getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$out = [];
foreach (json_decode(getenv('CB_CALLS'), true, 512, JSON_THROW_ON_ERROR) as $options) {
    $logger = new CollectedLogger();
    $celery = new CeleryClient(getenv('CB_BROKER'), config: $config, logger: $logger);
    try {
        $celery->send(new Signature('tasks.add', [1, 2]), options: $options);
        $out[] = ['error' => null];
    } catch (ConnectionFailed $e) {
        $warnings = array_values(array_filter($logger->records, fn ($r) => $r['level'] === 'warning'));
        $out[] = [
            'error' => (new ReflectionClass($e))->getShortName(),
            'retries' => array_map(fn ($w) => [$w['context']['attempt'], $w['context']['delay']], $warnings),
        ];
    }
}
echo json_encode($out);
