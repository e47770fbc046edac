<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\ConnectionTimedOut;
use CeleryBridge\Exception\NoSentinelMaster;
use CeleryBridge\Exception\ReadOnlyReplica;
use CeleryBridge\Exception\ServerNotReady;
use CeleryBridge\Exception\TlsFailed;

/**
 * Whether and when RetryingPublisher retries a failure before a publish was written (its rules
 * 1 and 2): loaded on the first failure only, a publish that succeeds never asks.
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

    /**
     * Seconds to wait before the retry after $failure, which came after $retriesDone retries
     * started at $started, under $policy and within $deadline. Throws $failure when it may not
     * be retried: at once when it is not curable, else noted by RetryPolicy::gaveUp() once it
     * was retried, or when task_publish_timeout leaves no time for the wait.
     *
     * @throws ConnectionFailed
     */
    public static function delayBefore(
        ConnectionFailed $failure,
        RetryPolicy $policy,
        int $retriesDone,
        float $now,
        float $started,
        ?float $deadline,
    ): float {
        if (!self::is($failure)) {
            throw $failure;
        }
        return $policy->delayOrGiveUp($failure, $retriesDone, $now - $started, $deadline === null ? null : $deadline - $now);
    }
}
