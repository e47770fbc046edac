<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

/**
 * Celery's task states (celery.states). Tasks may also store their own state names with
 * update_state(), so a state is a string, not an enum.
 */
final class State
{
    /** Never stored: a missing key means pending, unknown or expired. */
    public const PENDING = 'PENDING';
    public const RECEIVED = 'RECEIVED';
    /** Stored only when the worker runs with task_track_started. */
    public const STARTED = 'STARTED';
    public const SUCCESS = 'SUCCESS';
    public const FAILURE = 'FAILURE';
    public const REVOKED = 'REVOKED';
    public const REJECTED = 'REJECTED';
    public const RETRY = 'RETRY';
    public const IGNORED = 'IGNORED';

    public const READY = [self::SUCCESS, self::FAILURE, self::REVOKED];
    /** States whose stored result is an exception description. */
    public const EXCEPTION = [self::RETRY, self::FAILURE, self::REVOKED];
    /** States get() raises for. */
    public const PROPAGATE = [self::FAILURE, self::REVOKED];

    private function __construct()
    {
    }

    /**
     * Whether $state is one of Celery's own states; any other is a task's custom state (set with
     * update_state(), e.g. "PROGRESS"), whose meta AsyncResult::info() returns.
     */
    public static function isBuiltin(string $state): bool
    {
        return in_array($state, [
            self::PENDING, self::RECEIVED, self::STARTED, self::SUCCESS, self::FAILURE,
            self::REVOKED, self::REJECTED, self::RETRY, self::IGNORED,
        ], true);
    }

    public static function isReady(string $state): bool
    {
        return in_array($state, self::READY, true);
    }

    public static function isException(string $state): bool
    {
        return in_array($state, self::EXCEPTION, true);
    }
}
