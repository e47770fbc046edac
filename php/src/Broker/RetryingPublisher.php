<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Connection\RetriesPerCall;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\PublishOutcomeUnknown;

use function array_map;
use function array_sum;
use function count;
use function hrtime;
use function round;
use function usleep;

/**
 * Publishes task messages (one LPUSH, or a MULTI/EXEC of many) under Celery's publish retry
 * settings, and never twice without the caller knowing. The one place that knows whether a
 * failure came before the write or after it; the connection below it only reconnects a broken
 * reused socket for commands that are safe to repeat.
 *
 * Semantics of lPush(), the broker's publish (transaction() follows the same rules):
 *
 * 1. Before LPUSH it connects when needed, and sends PING on a socket it did not just open (a
 *    caller-given one, or a persistent one that Predis hands out unchecked; phpredis checks its
 *    pooled sockets with ECHO) or that has been quiet for health_check_interval seconds
 *    (broker_transport_options; 1 s by default; 0 = PING before every publish). Any failure up
 *    to and including that PING - connection refused, connect timeout, TLS or AUTH failure, no
 *    master from Sentinel, no answer, the connection closing - happened before the message was
 *    written.
 *    It is retried: reconnect (Sentinel is asked again), sleep RetryPolicy::delay(n), try again,
 *    at most max_retries times; then the last failure is thrown. The message was not queued.
 *    AuthenticationFailed (WRONGPASS, NOAUTH, NOPERM) is thrown at once: no retry cures it.
 * 2. If Redis answers LPUSH with an error, the command did not run. READONLY (a demoted
 *    master after a failover), LOADING, MASTERDOWN, BUSY and TRYAGAIN are retried like 1;
 *    OOM and any other error are thrown at once (OutOfMemory, ConnectionFailed).
 *    The message was not queued. The same holds when LPUSH had to connect and that failed.
 * 3. If the connection breaks or no reply comes in time after LPUSH was written, Redis may or
 *    may not have queued the message. That is never retried: PublishOutcomeUnknown is thrown.
 *    (On a busy connection without the PING, a server that went away between two publishes
 *    also ends here, although the message was not queued: "unknown" is never a lie.)
 * 4. Otherwise LPUSH returned the list length: the message is queued, once.
 *
 * So a caller that gets no exception knows the message is queued exactly once; a caller that
 * gets PublishOutcomeUnknown knows it is queued once or not at all, and resending gives
 * at-least-once delivery. (Celery itself, through kombu's ensure(), republishes after
 * ambiguous failures too, so it may queue a message twice without telling.)
 *
 * Other commands go to the connection itself, without retry.
 *
 * @internal
 */
final class RetryingPublisher
{
    use RetriesPerCall;

    // Both null unless a test gives them: properties left at their defaults cost a request
    // that constructs a client no write and no closure.
    /** @var (\Closure(float): void)|null null: usleep() */
    private ?\Closure $sleep = null;
    /** null: the system clock, read without loading Clock (a publish without options never needs it) */
    private ?Clock $clock = null;
    /** When a command through this object last succeeded on the current socket; null: never. */
    private ?float $lastReply = null;
    /** @var (\Closure(ConnectionFailed, int, float): void)|null told of each retry (the client's logger) */
    private ?\Closure $onRetry = null;

    /**
     * @param float $healthCheckInterval PING before LPUSH when the socket has been quiet this long
     * @param (\Closure(float): void)|null $sleep how to wait between attempts (tests pass a recorder)
     * @param Clock|null $clock deadlines and quiet time are read on it (tests pass one they set)
     */
    public function __construct(
        private readonly RedisConnection $inner,
        public readonly RetryPolicy $policy,
        ?\Closure $sleep = null,
        public readonly float $healthCheckInterval = ConnectionOptions::DEFAULT_HEALTH_CHECK_INTERVAL,
        ?Clock $clock = null,
    ) {
        if ($sleep !== null) {
            $this->sleep = $sleep;
        }
        if ($clock !== null) {
            $this->clock = $clock;
        }
    }

    public function connection(): RedisConnection
    {
        return $this->inner;
    }

    /**
     * @param \Closure(ConnectionFailed, int, float): void $onRetry gets the failure, the attempt
     *        number that failed (1 = the first) and the seconds it waits before the next
     */
    public function onRetry(\Closure $onRetry): void
    {
        $this->onRetry = $onRetry;
    }

    /**
     * @throws PublishOutcomeUnknown when LPUSH was written but not confirmed
     * @throws ConnectionFailed when the message was certainly not queued
     */
    public function lPush(string $key, string $value): int
    {
        if ($this->callPolicy === null && $this->policy->timeout === null) {
            // The hot path, withRetries()' first attempt inline without its closures (a PHP-FPM request's
            // one publish, or each of many): a socket that answered less than health_check_interval ago
            // takes the LPUSH at once, any other is checked first as there; a failure goes on there as its
            // second attempt. The quiet time counts from the start of the last write that succeeded.
            $now = $this->clock === null ? hrtime(true) / 1e9 : $this->clock->seconds();
            if ($this->lastReply === null || $now - $this->lastReply >= $this->healthCheckInterval) {
                try {
                    // Only PING in flight, or connecting: a failure here published nothing.
                    if (!$this->inner->ensureConnected() || $this->healthCheckInterval <= 0.0) {
                        $this->inner->ping();
                    }
                } catch (ConnectionFailed $e) {
                    $this->pause($e, 0, $now, null);
                    return $this->lPushWithRetries($key, $value, null, 1, $now);
                }
            }
            try {
                $length = $this->inner->lPush($key, $value);
                $this->lastReply = $now;
                return $length;
            } catch (ConnectionFailed $e) {
                if (!$this->unsent($e)) {
                    throw PublishOutcomeUnknown::forList($key, $e);
                }
                $this->pause($e, 0, $now, null);
                return $this->lPushWithRetries($key, $value, null, 1, $now);
            }
        }
        if (($this->callPolicy ?? $this->policy)->timeout === null) {
            // The common case stays free of the deadline bookkeeping: publishing is the hot path.
            return $this->lPushWithRetries($key, $value, null);
        }
        $deadline = $this->now() + ($this->callPolicy ?? $this->policy)->timeout;
        return $this->inner->withDeadline($deadline, fn (): int => $this->lPushWithRetries($key, $value, $deadline));
    }

    private function lPushWithRetries(string $key, string $value, ?float $deadline, int $retries = 0, ?float $started = null): int
    {
        return $this->withRetries(
            fn (): int => $this->inner->lPush($key, $value),
            $deadline,
            static fn (ConnectionLost $e): PublishOutcomeUnknown => PublishOutcomeUnknown::forList($key, $e),
            null,
            $retries,
            $started,
        );
    }

    /**
     * Runs one write (LPUSH, or a MULTI/EXEC of many) under the rules above.
     *
     * @template T
     * @param \Closure(): T $write
     * @param \Closure(ConnectionLost): PublishOutcomeUnknown $unknown
     * @param (\Closure(): void)|null $check read-only commands that must pass before the write
     *        (they prove the socket as PING would, and are retried like it)
     * @param int $retries attempts that failed already (lPush()'s hot path), from $started on
     * @return T
     */
    private function withRetries(
        \Closure $write,
        ?float $deadline,
        \Closure $unknown,
        ?\Closure $check = null,
        int $retries = 0,
        ?float $started = null,
    ): mixed {
        $started ??= $this->now();
        while (true) {
            // PING first on a socket that has not answered yet, or has been quiet for
            // health_check_interval: one the server closed meanwhile (restart, failover, idle
            // timeout) then fails on PING, provably before anything was sent, not on LPUSH.
            if ($check !== null || $this->lastReply === null || $this->now() - $this->lastReply >= $this->healthCheckInterval) {
                try {
                    // A socket opened just now was accepted (and answered AUTH, SELECT), and a
                    // pooled one phpredis has just checked with ECHO is alive: no PING, so a
                    // publish costs one round trip of ours. A reused one gets a PING, and
                    // health_check_interval 0 asks for one before every publish.
                    $fresh = $this->inner->ensureConnected();
                    if ($check !== null) {
                        $check();
                    } elseif (!$fresh || $this->healthCheckInterval <= 0.0) {
                        $this->inner->ping();
                    }
                    $this->lastReply = $this->now();
                } catch (ConnectionFailed $e) {
                    // Only PING (or the check) was in flight: nothing was published.
                    $this->pause($e, $retries++, $started, $deadline);
                    continue;
                }
            }
            try {
                $result = $write();
                $this->lastReply = $this->now();
                return $result;
            } catch (ConnectionFailed $e) {
                if (!$this->unsent($e)) {
                    \assert($e instanceof ConnectionLost);
                    throw $unknown($e);
                }
                $this->pause($e, $retries++, $started, $deadline);
            }
        }
    }

    /**
     * Whether the write that failed with $e was never sent, so that it is retried as in 1: an
     * error reply (nothing ran), connecting failed, or a reconnect was cut in its handshake
     * (AUTH, SELECT). A connection lost otherwise may have taken it: PublishOutcomeUnknown.
     */
    private function unsent(ConnectionFailed $e): bool
    {
        if (!$e instanceof ConnectionLost) {
            return true;
        }
        $this->lastReply = null;
        return $e->beforeCommand();
    }

    /**
     * The writes of many task messages at once, under the same rules as lPush(): failures
     * before EXEC was sent are retried, an unconfirmed EXEC is PublishOutcomeUnknown. $check
     * runs first, on every attempt, under the same deadline (see withRetries()).
     *
     * @param (\Closure(): void)|null $check
     */
    public function transaction(array $writes, ?\Closure $check = null): void
    {
        $run = function (?float $deadline) use ($writes, $check): int {
            return $this->withRetries(
                function () use ($writes): int {
                    $this->inner->transaction($writes);
                    return 0;
                },
                $deadline,
                // (An LPUSH of several values is as many writes: sendMany() joins a run of tasks to one queue.)
                static fn (ConnectionLost $e): PublishOutcomeUnknown => PublishOutcomeUnknown::forTransaction(array_sum(array_map(
                    static fn (array $write): int => $write[0] === 'LPUSH' ? count($write) - 2 : 1,
                    $writes,
                )), $e),
                $check,
            );
        };
        if (($this->callPolicy ?? $this->policy)->timeout === null) {
            $run(null);
            return;
        }
        $deadline = $this->now() + ($this->callPolicy ?? $this->policy)->timeout;
        $this->inner->withDeadline($deadline, fn (): int => $run($deadline));
    }

    /**
     * Rethrows $failure when it may not be retried, else closes the connection and sleeps.
     *
     * @throws ConnectionFailed
     */
    private function pause(ConnectionFailed $failure, int $retriesDone, float $started, ?float $deadline): void
    {
        $policy = $this->callPolicy ?? $this->policy;
        $delay = RetryableFailure::delayBefore($failure, $policy, $retriesDone, $this->now(), $started, $deadline);
        $this->lastReply = null;
        $this->inner->close();
        if ($this->onRetry !== null) {
            ($this->onRetry)($failure, $retriesDone + 1, $delay);
        }
        if ($this->sleep !== null) {
            ($this->sleep)($delay);
        } elseif ($delay > 0) {
            usleep((int) round($delay * 1_000_000));
        }
    }

    /** Clock::now() unless a clock was given. */
    private function now(): float
    {
        return $this->clock === null ? hrtime(true) / 1e9 : $this->clock->seconds();
    }
}
