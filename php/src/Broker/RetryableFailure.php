<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\ConnectionTimedOut;
use CeleryBridge\Exception\NoSentinelMaster;
use CeleryBridge\Exception\ReadOnlyReplica;
use CeleryBridge\Exception\ServerNotReady;
use CeleryBridge\Exception\TlsFailed;

/**
 * Which failures before a publish was written RetryingPublisher retries (its rules 1 and 2):
 * loaded on the first failure only, a publish that succeeds never asks.
 *
 * @internal
 */
final class RetryableFailure
{
    /**
     * Failures before LPUSH was written that a new connection may cure. Not AuthenticationFailed:
     * a wrong password, a missing one or an ACL refusal stays wrong however often it is tried.
     * Nor OutOfMemory: Redis refuses writes until memory is freed, which no reconnect does.
     */
    private const CURABLE = [
        ConnectionLost::class,
        ConnectionRefused::class,
        ConnectionTimedOut::class,
        TlsFailed::class,
        NoSentinelMaster::class,
        ReadOnlyReplica::class,
        ServerNotReady::class,
    ];

    public static function is(ConnectionFailed $failure): bool
    {
        foreach (self::CURABLE as $class) {
            if ($failure instanceof $class) {
                return true;
            }
        }
        return false;
    }
}
