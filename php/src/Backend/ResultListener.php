<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\PubSubWaiter;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Result\State;

/**
 * The Redis result backend's wait: subscribe to the tasks' channels, read their keys, take the
 * results that are published. Celery stores and publishes in one transaction, so a result is
 * either already in its key or arrives as a message: no polling, no result missed, and the
 * backend's own connection never enters subscribed mode.
 *
 * The subscriber connection of the last wait is kept (unsubscribed) for the next one.
 *
 * @internal
 */
final class ResultListener
{
    /** How often one wait subscribes again after Redis closed its subscriber connection. */
    private const MAX_RECONNECTS = 3;

    private ?PubSubWaiter $waiter = null;

    public function __construct(
        private readonly RedisConnection $connection,
        private readonly MetaReader $reader,
        private readonly Clock $clock,
    ) {
    }

    /**
     * Waits until every task is ready, or with $stopOnFailure until one of them failed or was
     * revoked; $deadline is a reading of the clock, $timeout what ResultTimeout reports.
     *
     * @param list<string> $taskIds
     * @param array<string, ResultMeta> $known metas already known to be ready
     * @param (\Closure(array<string, ResultMeta>): void)|null $onMessage told the metas after each read
     * @return array<string, ResultMeta> by task id
     * @throws ResultTimeout|ConnectionFailed|CorruptResult
     */
    public function until(?float $deadline, float $timeout, array $taskIds, bool $stopOnFailure, array $known, ?\Closure $onMessage): array
    {
        $taskIds = array_values(array_unique($taskIds));
        $metas = array_intersect_key($known, array_flip($taskIds));
        if (self::done($metas, $taskIds, $stopOnFailure)) {
            return $metas;
        }
        $kept = $this->waiter !== null && $this->waiter->isOpen();
        if (!$kept || $this->passed($deadline)) {
            // Without a subscriber connection to reuse, one GET first: a result already stored
            // needs no connection of its own. (With one, subscribing first saves that GET.)
            $metas = $this->reader->fetch($taskIds, $metas);
            $onMessage?->__invoke($metas);
            if (self::done($metas, $taskIds, $stopOnFailure)) {
                return $metas;
            }
            if ($this->passed($deadline)) {
                throw self::timeout($timeout, $metas);
            }
        }
        $channels = [];
        foreach ($taskIds as $taskId) {
            $channels[$this->reader->taskKey($taskId)] = $taskId;
        }
        $subscribed = false;
        $reconnects = 0;
        try {
            while (true) {
                if (!$subscribed) {
                    // Subscribe first, then read the keys: a result stored before the subscription
                    // took effect is in its key, one stored after arrives as a message.
                    $pending = array_filter($channels, fn (string $id): bool => !isset($metas[$id]) || !$metas[$id]->isReady());
                    if (!$this->listen(array_map('strval', array_keys($pending)), $deadline)) {
                        $metas = $this->reader->fetch($taskIds, $metas);
                        if (self::done($metas, $taskIds, $stopOnFailure)) {
                            return $metas;
                        }
                        throw self::timeout($timeout, $metas);
                    }
                    $subscribed = true;
                    $metas = $this->reader->fetch($taskIds, $metas);
                    $onMessage?->__invoke($metas);
                    if (self::done($metas, $taskIds, $stopOnFailure)) {
                        break;
                    }
                }
                \assert($this->waiter !== null);
                try {
                    $message = $this->waiter->next($deadline);
                } catch (ConnectionFailed $e) {
                    // Redis drops a subscriber whose output buffer overflows (client-output-buffer-limit
                    // pubsub, 32 MB by default), as a very large result can cause: subscribe again
                    // and read the keys, where that result already is.
                    $this->drop();
                    $subscribed = false;
                    if (++$reconnects > self::MAX_RECONNECTS) {
                        throw $e;
                    }
                    continue;
                }
                if ($message === null) {
                    throw self::timeout($timeout, $metas);
                }
                [$channel, $payload] = $message;
                $taskId = $channels[$channel] ?? null;
                if ($taskId === null || $metas[$taskId]->isReady()) {
                    continue;
                }
                try {
                    $metas[$taskId] = $this->reader->decoder->decode($payload, $taskId);
                } catch (CorruptResult | ResultTooLarge) {
                    // Any client can PUBLISH on any channel (pub/sub ignores database numbers):
                    // the key is what Celery stored, so read that instead.
                    $metas[$taskId] = $this->reader->meta($taskId);
                }
                $onMessage?->__invoke($metas);
                if (self::done($metas, $taskIds, $stopOnFailure)) {
                    break;
                }
            }
        } catch (\Throwable $e) {
            // The subscriber may be in any state now: start afresh next time.
            $this->drop();
            throw $e;
        }
        $this->release();
        return $metas;
    }

    private function passed(?float $deadline): bool
    {
        return $deadline !== null && $this->clock->seconds() >= $deadline;
    }

    /**
     * Subscribes to $channels on the kept subscriber connection, opening one when there is
     * none; false when the deadline passed first.
     *
     * @param list<string> $channels
     * @throws ConnectionFailed
     */
    private function listen(array $channels, ?float $deadline): bool
    {
        if ($this->waiter !== null && $this->waiter->isOpen()) {
            try {
                if ($this->waiter->listen($channels, $deadline)) {
                    return true;
                }
                $this->drop();
                return false;
            } catch (ConnectionFailed) {
                // The kept connection went stale (server restart, failover, idle timeout). The
                // main connection finds the server again (Sentinel names the new master) before
                // a new subscriber connects to its address.
                $this->drop();
                $this->connection->ping();
            }
        }
        $this->waiter = PubSubWaiter::subscribe($this->connection->endpoint(), $channels, $deadline, $this->clock);
        return $this->waiter !== null;
    }

    /** Keeps the subscriber for the next wait, unsubscribed. */
    private function release(): void
    {
        try {
            $this->waiter?->unlisten();
        } catch (ConnectionFailed) {
            $this->drop();
        }
    }

    private function drop(): void
    {
        $this->waiter?->close();
        $this->waiter = null;
    }

    /**
     * @param array<string, ResultMeta> $metas
     * @param list<string> $taskIds
     */
    private static function done(array $metas, array $taskIds, bool $stopOnFailure): bool
    {
        $all = true;
        foreach ($taskIds as $taskId) {
            $meta = $metas[$taskId] ?? null;
            if ($meta === null || !$meta->isReady()) {
                $all = false;
            } elseif ($stopOnFailure && in_array($meta->status, State::PROPAGATE, true)) {
                return true;
            }
        }
        return $all;
    }

    /**
     * @param array<string, ResultMeta> $metas
     */
    private static function timeout(float $timeout, array $metas): ResultTimeout
    {
        $states = [];
        foreach ($metas as $taskId => $meta) {
            if (!$meta->isReady()) {
                $states[(string) $taskId] = $meta->status;
            }
        }
        return ResultTimeout::after($timeout, $states);
    }
}
