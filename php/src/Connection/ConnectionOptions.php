<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

/**
 * Connection settings, under Celery's setting names where Celery has one.
 */
final class ConnectionOptions
{
    /** Celery's `broker_connection_timeout` default. */
    public const DEFAULT_CONNECT_TIMEOUT = 4.0;
    /** Celery's `redis_socket_timeout` default. */
    public const DEFAULT_READ_TIMEOUT = 120.0;
}
