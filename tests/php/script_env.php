<?php

// Functions for the PHP scripts of the pytest suite (bootstrap.php loads them): a client on the
// URLs the test passes, and phpredis on the database a redis:// URL names (for the test's gates
// and for reading what a publish left).

declare(strict_types=1);

use CeleryBridge\CeleryClient;

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
