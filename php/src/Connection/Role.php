<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function sprintf;

/**
 * Which connection a URL or a setting is for: the broker (kombu's `broker_url` rules and the
 * broker_* settings) or the result backend (Celery's `result_backend` rules and its redis_*
 * settings). The two read the same URL grammar with different query options and defaults.
 */
enum Role: string
{
    case Broker = 'broker';
    case Backend = 'backend';

    /**
     * The role of a string the deprecated constants (Dsn::BROKER, ConnectionOptions::BACKEND)
     * stand for.
     */
    public static function of(self|string $role): self
    {
        return $role instanceof self ? $role : (self::tryFrom($role) ?? throw new \InvalidArgumentException(
            sprintf('Unknown role "%s": expected Role::Broker or Role::Backend.', $role),
        ));
    }

    /** How messages name the connection. */
    public function describe(): string
    {
        return $this === self::Broker ? 'broker' : 'result backend';
    }

    /** The setting whose transport options this connection reads (master_name, ...). */
    public function transportOptionsSetting(): string
    {
        return $this === self::Broker ? 'broker_transport_options' : 'result_backend_transport_options';
    }

    /** The setting holding this connection's ssl_* options. */
    public function sslSetting(): string
    {
        return $this === self::Broker ? 'broker_use_ssl' : 'redis_backend_use_ssl';
    }
}
