<?php

// Functions for the PHP scripts of the pytest suite (bootstrap.php loads them): a client on the
// URLs the test passes, phpredis on the database a redis:// URL names (for the test's gates
// and for reading what a publish left), a call's outcome, and a wait for the test to act.

declare(strict_types=1);

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;

/** A CeleryClient on CELERY_BROKER_URL and CELERY_RESULT_BACKEND (unset or empty: no result backend). */
function client_from_env(): CeleryClient
{
    return new CeleryClient((string) getenv('CELERY_BROKER_URL'), getenv('CELERY_RESULT_BACKEND') ?: null);
}

/** phpredis on the host, port and database (default 0) of a redis:// URL. */
function redis_at(string $url): \Redis
{
    $parts = parse_url($url);
    $redis = new \Redis();
    $redis->connect((string) $parts['host'], (int) $parts['port']);
    $redis->select((int) ltrim($parts['path'] ?? '/0', '/'));
    return $redis;
}

/** What $call returns, or {"error": class, "message"} for an exception of ours: the script goes on. */
function outcome(callable $call): mixed
{
    try {
        return $call();
    } catch (CeleryBridgeException $e) {
        return ['error' => $e::class, 'message' => $e->getMessage()];
    }
}

/**
 * Connects to the test on CB_CONTROL_PORT, which acts (closes connections) then answers a line:
 * returns once it has.
 */
function await_test(float $timeout): void
{
    $control = stream_socket_client('tcp://127.0.0.1:' . getenv('CB_CONTROL_PORT'), $code, $message, $timeout);
    fgets($control);
}
