<?php

// tests/test_bad_input.py: every case of BadInputCases (php/tests/Integration) against the
// database of CELERY_BROKER_URL, flushed first; prints for each what was thrown and the keys
// left in the database after it.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Tests\Integration\Broker\BadInputCases;

$url = (string) getenv('CELERY_BROKER_URL');
$redis = redis_at($url);
$redis->flushDb();
$out = [];
foreach (BadInputCases::all() as $name => [$call, $fragments]) {
    $outcome = ['fragments' => $fragments, 'thrown' => null, 'ours' => false, 'message' => null];
    try {
        $call($url);
    } catch (Throwable $e) {
        $outcome['thrown'] = get_class($e);
        $outcome['ours'] = $e instanceof CeleryBridgeException;
        $outcome['message'] = $e->getMessage();
    }
    $outcome['keys'] = $redis->keys('*');
    $out[$name] = $outcome;
}
echo json_encode($out, JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE);
