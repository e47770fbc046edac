<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function array_key_exists;
use function floor;
use function hrtime;
use function min;
use function round;
use function sprintf;
use function usleep;

/**
 * Celery's publish retry settings: `task_publish_retry` and `task_publish_retry_policy`, with
 * Celery's defaults (3 retries, sleeping 0 s, 0.2 s, 0.4 s; never more than 1 s), and
 * `task_publish_timeout`. RetryPolicyReader::fromConfig() reads them.
 *
 * The delay before retry n (0-based) follows kombu's retry_over_time: interval_start, then
 * interval_step more each time, up to interval_start + interval_max.
 */
final class RetryPolicy
{
    public const KEYS = ['max_retries', 'interval_start', 'interval_step', 'interval_max'];

    /**
     * @internal made by celeryDefault(), never() and RetryPolicyReader, which checks the values
     */
    public function __construct(
        public readonly bool $enabled,
        public readonly ?int $maxRetries,
        public readonly float $intervalStart,
        public readonly float $intervalStep,
        public readonly float $intervalMax,
        public readonly ?float $timeout = null,
    ) {
    }

    public static function celeryDefault(): self
    {
        return new self(true, 3, 0.0, 0.2, 1.0);
    }

    public static function never(): self
    {
        return new self(false, 0, 0.0, 0.2, 1.0);
    }

    /**
     * This policy as one apply_async call changes it: Celery's retry= replaces task_publish_retry,
     * and retry_policy= is merged over task_publish_retry_policy (dict(default, **retry_policy)).
     * The key values were checked by TaskOptions.
     *
     * @param array<string, int|float|null> $policy
     */
    public function forCall(?bool $retry, array $policy): self
    {
        return new self(
            $retry ?? $this->enabled,
            array_key_exists('max_retries', $policy) ? self::count($policy['max_retries']) : $this->maxRetries,
            (float) ($policy['interval_start'] ?? $this->intervalStart),
            (float) ($policy['interval_step'] ?? $this->intervalStep),
            (float) ($policy['interval_max'] ?? $this->intervalMax),
            $this->timeout,
        );
    }

    private static function count(int|float|null $value): ?int
    {
        return $value === null ? null : (int) $value;
    }

    /** Whether another attempt may follow $retriesDone retries. */
    public function allows(int $retriesDone): bool
    {
        return $this->enabled && ($this->maxRetries === null || $retriesDone < $this->maxRetries);
    }

    /**
     * The wait before retry $retries + 1 of $failure, or $failure thrown when none may follow:
     * as it is when retries are off, else noted by gaveUp(); $timeLeft (null: no timeout) too
     * short for the wait counts as given up.
     *
     * @throws ConnectionFailed
     */
    public function delayOrGiveUp(ConnectionFailed $failure, int $retries, float $elapsed, ?float $timeLeft): float
    {
        $delay = $this->delay($retries);
        $late = $timeLeft !== null && $delay >= $timeLeft;
        if (!$this->allows($retries) || $late) {
            throw $retries === 0 && !$late ? $failure : $this->gaveUp($failure, $retries, $elapsed, $late);
        }
        return $delay;
    }

    /**
     * Runs $attempt until it returns, for work done before anything is published (connecting,
     * declaring a queue): a ConnectionFailed there means "not queued", so it is retried as this
     * policy allows, after delay(), within task_publish_timeout, and goes up when no retry is
     * left (with gaveUp()'s note once it was retried). AuthenticationFailed is never retried: the
     * broker refuses the same credentials again. $onRetry hears each failure about to be retried,
     * with the retry's number (1 = the first) and its delay.
     *
     * @internal used by the AMQP transports
     * @template T
     * @param \Closure(): T $attempt
     * @param (\Closure(ConnectionFailed, int, float): void)|null $onRetry
     * @return T
     * @throws ConnectionFailed
     */
    public function retryUnpublished(\Closure $attempt, ?\Closure $onRetry = null): mixed
    {
        $started = hrtime(true) / 1e9;
        for ($retries = 0;; $retries++) {
            try {
                return $attempt();
            } catch (AuthenticationFailed $e) {
                throw $e;
            } catch (ConnectionFailed $e) {
                $elapsed = hrtime(true) / 1e9 - $started;
                $delay = $this->delayOrGiveUp($e, $retries, $elapsed, $this->timeout === null ? null : $this->timeout - $elapsed);
                if ($onRetry !== null) {
                    $onRetry($e, $retries + 1, $delay);
                }
                if ($delay > 0) {
                    usleep((int) round($delay * 1_000_000));
                }
            }
        }
    }

    /**
     * The last failure of a publish given up on, told how long it was tried and which setting
     * stopped it: its class and data stay as they are, so a caller still catches what failed.
     */
    public function gaveUp(ConnectionFailed $failure, int $retriesDone, float $seconds, bool $late): ConnectionFailed
    {
        return $failure->withNote(sprintf(
            'Gave up after %d attempt%s in %.1f s (%s); the message was not queued.',
            $retriesDone + 1,
            $retriesDone === 0 ? '' : 's',
            $seconds,
            $late ? 'task_publish_timeout' : 'task_publish_retry_policy',
        ));
    }

    /** Seconds to sleep before retry number $retry (0 = the first retry). */
    public function delay(int $retry): float
    {
        $stop = $this->intervalStart + $this->intervalMax;
        if ($this->intervalStep <= 0.0) {
            return min($this->intervalStart, $stop);
        }
        $steps = (int) floor(($stop - $this->intervalStart) / $this->intervalStep + 1e-9);
        return $this->intervalStart + min($retry, $steps) * $this->intervalStep;
    }
}
