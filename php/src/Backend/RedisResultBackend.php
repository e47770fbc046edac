<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\PubSubWaiter;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidTimeout;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Result\ResultStore;
use CeleryBridge\Result\State;
use CeleryBridge\Result\WaitTime;

/**
 * Celery's Redis result backend, reading side: `celery-task-meta-<id>` keys and their channels.
 *
 * @internal
 */
final class RedisResultBackend extends ResultStore
{
    public const TASK_KEY_PREFIX = 'celery-task-meta-';
    public const GROUP_KEY_PREFIX = 'celery-taskset-meta-';

    /** How often one wait subscribes again after Redis closed its subscriber connection. */
    private const MAX_RECONNECTS = 3;

    private readonly ResultDecoder $decoder;

    /** The subscriber connection of the last wait, kept (unsubscribed) for the next one. */
    private ?PubSubWaiter $waiter = null;

    private ?GroupStateWriter $groupState = null;

    /** @var (\Closure(array<string, ResultMeta>): void)|null set by waitWatching() for its wait */
    private ?\Closure $onMessage = null;

    /**
     * @param string $keyPrefix the global key prefix as Celery applies it (see fromOptions())
     * @param int|null $expires result_expires in seconds; null = results never expire
     * @param int|null $maxSize result_max_size in bytes; null = no limit
     */
    public function __construct(
        private readonly RedisConnection $connection,
        public readonly string $keyPrefix = '',
        public readonly ?int $expires = 86400,
        ?int $maxSize = null,
    ) {
        parent::__construct();
        $this->decoder = new ResultDecoder($maxSize);
    }

    /**
     * @param array<string, mixed> $transportOptions result_backend_transport_options
     * @throws InvalidConfiguration
     */
    public static function fromOptions(
        RedisConnection $connection,
        array $transportOptions = [],
        ?int $expires = 86400,
        ?int $maxSize = null,
    ): self {
        $prefix = $transportOptions['global_keyprefix'] ?? '';
        if (!is_string($prefix)) {
            throw InvalidConfiguration::invalid(
                'result_backend_transport_options.global_keyprefix',
                $prefix,
                'expected a string.',
            );
        }
        // celery.backends.base: the backend separates its prefix with "_" unless the prefix
        // already ends in one of these characters (the broker's prefix is used verbatim).
        if ($prefix !== '' && !in_array(substr($prefix, -1), [':', '_', '-', '.'], true)) {
            $prefix .= '_';
        }
        return new self($connection, $prefix, $expires, $maxSize);
    }

    public function within(?float $deadline, \Closure $call): mixed
    {
        return $this->connection->withDeadline($deadline, $call);
    }

    /** Where the results live, without secrets: server, database and key prefix. */
    public function fingerprint(): string
    {
        return sprintf('%s/%d#%s', $this->connection->describe(), $this->connection->database(), $this->keyPrefix);
    }

    public function taskKey(string $taskId): string
    {
        return $this->keyPrefix . self::TASK_KEY_PREFIX . $taskId;
    }

    public function groupKey(string $groupId): string
    {
        return $this->keyPrefix . self::GROUP_KEY_PREFIX . $groupId;
    }

    /**
     * @throws ConnectionFailed|CorruptResult
     */
    public function meta(string $taskId): ResultMeta
    {
        try {
            $payload = $this->connection->get($this->taskKey($taskId));
        } catch (ConnectionFailed $e) {
            // Another client left a list, hash or set under the key: that is not a result, and
            // reading it again will not change it (MGET, for several ids, sees it as missing).
            if (!str_contains($e->getMessage(), '"WRONGTYPE ')) {
                throw $e;
            }
            throw CorruptResult::in($taskId, 'its key holds a Redis list, hash or set, not the string Celery stores.', $e);
        }
        return $payload === null ? ResultMeta::pending($taskId) : $this->decoder->decode($payload, $taskId);
    }

    /**
     * @param list<string> $taskIds
     * @return array<string, ResultMeta> by task id
     * @throws ConnectionFailed|CorruptResult
     */
    public function metas(array $taskIds): array
    {
        $taskIds = array_values(array_unique($taskIds));
        if (count($taskIds) === 1) {
            return [$taskIds[0] => $this->meta($taskIds[0])];
        }
        $payloads = $this->connection->mGet(array_map($this->taskKey(...), $taskIds));
        $metas = [];
        foreach ($taskIds as $i => $taskId) {
            $payload = $payloads[$i] ?? null;
            $metas[$taskId] = $payload === null ? ResultMeta::pending($taskId) : $this->decoder->decode($payload, $taskId);
        }
        return $metas;
    }

    /**
     * Waits until every task is ready (SUCCESS, FAILURE, REVOKED), or with $stopOnFailure
     * until one of them failed or was revoked.
     *
     * Subscribes to the tasks' channels first and reads the keys second: Celery stores and
     * publishes in one transaction, so a result is either already in its key or arrives as a
     * message. No polling, no result missed, the connection of this backend stays usable.
     *
     * @param list<string> $taskIds
     * @param array<string, ResultMeta> $known metas already known to be ready
     * @return array<string, ResultMeta> by task id
     * @throws ResultTimeout|ConnectionFailed|CorruptResult|InvalidTimeout
     */
    public function wait(array $taskIds, ?float $timeout, bool $stopOnFailure = false, array $known = []): array
    {
        $timeout = WaitTime::seconds($timeout);
        $now = Clock::now();
        $deadline = $timeout === null ? null : $now + $timeout;
        // Every GET of the wait shares the caller's deadline: a backend that accepts connections
        // but never answers must not hold get() for its socket timeout. A deadline too near for
        // one round trip (timeout 0: "is it stored now?") still lets the first GET be answered.
        return $this->connection->withDeadline(
            $deadline === null ? null : max($deadline, $now + WaitTime::ONE_READ),
            fn (): array => $this->waitUntil($deadline, (float) $timeout, $taskIds, $stopOnFailure, $known),
        );
    }

    /**
     * Every state the worker stores while this waits reaches $onMessage: each store is a SET
     * and a PUBLISH on the task's channel (update_state(state='PROGRESS', meta=...) included),
     * and the states read from the key around the subscription count too, each state once.
     */
    public function waitWatching(string $taskId, ?float $timeout, \Closure $onMessage): array
    {
        $previous = $this->onMessage;
        $this->onMessage = self::watcher($taskId, $onMessage);
        try {
            return $this->wait([$taskId], $timeout);
        } finally {
            $this->onMessage = $previous;
        }
    }

    /**
     * @param list<string> $taskIds
     * @param array<string, ResultMeta> $known
     * @return array<string, ResultMeta>
     */
    private function waitUntil(?float $deadline, float $timeout, array $taskIds, bool $stopOnFailure, array $known): array
    {
        $taskIds = array_values(array_unique($taskIds));
        $metas = array_intersect_key($known, array_flip($taskIds));
        if (self::done($metas, $taskIds, $stopOnFailure)) {
            return $metas;
        }
        $kept = $this->waiter !== null && $this->waiter->isOpen();
        if (!$kept || ($deadline !== null && Clock::now() >= $deadline)) {
            // Without a subscriber connection to reuse, one GET first: a result already stored
            // needs no connection of its own. (With one, subscribing first saves that GET.)
            $metas = $this->fetch($taskIds, $metas);
            $this->onMessage?->__invoke($metas);
            if (self::done($metas, $taskIds, $stopOnFailure)) {
                return $metas;
            }
            if ($deadline !== null && Clock::now() >= $deadline) {
                throw self::timeout($timeout, $metas);
            }
        }
        $channels = [];
        foreach ($taskIds as $taskId) {
            $channels[$this->taskKey($taskId)] = $taskId;
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
                        $metas = $this->fetch($taskIds, $metas);
                        if (self::done($metas, $taskIds, $stopOnFailure)) {
                            return $metas;
                        }
                        throw self::timeout($timeout, $metas);
                    }
                    $subscribed = true;
                    $metas = $this->fetch($taskIds, $metas);
                    $this->onMessage?->__invoke($metas);
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
                    $this->dropWaiter();
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
                    $metas[$taskId] = $this->decoder->decode($payload, $taskId);
                } catch (CorruptResult | ResultTooLarge) {
                    // Any client can PUBLISH on any channel (pub/sub ignores database numbers):
                    // the key is what Celery stored, so read that instead.
                    $metas[$taskId] = $this->meta($taskId);
                }
                $this->onMessage?->__invoke($metas);
                if (self::done($metas, $taskIds, $stopOnFailure)) {
                    break;
                }
            }
        } catch (\Throwable $e) {
            // The subscriber may be in any state now: start afresh next time.
            $this->dropWaiter();
            throw $e;
        }
        $this->releaseWaiter();
        return $metas;
    }

    /**
     * Calls $onMessage once for each new state of $taskId read (PENDING, a missing key, is no
     * message). The callback must not wait on this backend itself: the wait owns its subscriber.
     *
     * @param \Closure(ResultMeta): void $onMessage
     * @return \Closure(array<string, ResultMeta>): void
     */
    private static function watcher(string $taskId, \Closure $onMessage): \Closure
    {
        $told = null;
        return static function (array $metas) use ($taskId, $onMessage, &$told): void {
            $meta = $metas[$taskId] ?? null;
            if ($meta === null || $meta->status === State::PENDING) {
                return;
            }
            $seen = $meta->status . "\0" . serialize($meta->result) . "\0" . $meta->dateDone?->format('U.u');
            if ($told !== $seen) {
                $told = $seen;
                $onMessage($meta);
            }
        };
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
                $this->dropWaiter();
                return false;
            } catch (ConnectionFailed) {
                // The kept connection went stale (server restart, failover, idle timeout). The
                // main connection finds the server again (Sentinel names the new master) before
                // a new subscriber connects to its address.
                $this->dropWaiter();
                $this->connection->ping();
            }
        }
        $this->waiter = PubSubWaiter::subscribe($this->connection->endpoint(), $channels, $deadline);
        return $this->waiter !== null;
    }

    /** Keeps the subscriber for the next wait, unsubscribed. */
    private function releaseWaiter(): void
    {
        try {
            $this->waiter?->unlisten();
        } catch (ConnectionFailed) {
            $this->dropWaiter();
        }
    }

    private function dropWaiter(): void
    {
        $this->waiter?->close();
        $this->waiter = null;
    }

    /**
     * Deletes the stored result, as AsyncResult.forget() does.
     *
     * @throws ConnectionFailed
     */
    public function forget(string $taskId): void
    {
        $this->connection->del($this->taskKey($taskId));
    }

    /**
     * Writes chord counters and saved groups (made on first use: only canvases need it).
     */
    public function groupState(): GroupStateWriter
    {
        return $this->groupState ??= new GroupStateWriter($this->connection, $this->keyPrefix, $this->expires);
    }

    /**
     * @param array<mixed> $tuple
     * @throws ConnectionFailed
     */
    public function saveGroup(string $groupId, array $tuple): void
    {
        $this->groupState()->saveGroup($groupId, $tuple);
    }

    /**
     * Celery's _restore_group(): the tuple save() stored, or null when there is none (never
     * saved, or expired).
     *
     * @return array<mixed>|null
     * @throws ConnectionFailed|CorruptResult|ResultTooLarge
     */
    public function groupTuple(string $groupId): ?array
    {
        $stored = $this->connection->get($this->groupKey($groupId));
        if ($stored === null) {
            return null;
        }
        try {
            // Celery saves a group as it stores a result: result_compression applies, and the
            // same limits keep a huge (or hostile) saved group from exhausting memory_limit.
            $meta = $this->decoder->json($stored, $groupId);
        } catch (\UnexpectedValueException $e) {
            throw CorruptResult::in($groupId, $e->getMessage(), $e);
        }
        $tuple = is_array($meta) ? ($meta['result'] ?? null) : null;
        if (!is_array($tuple) || count($tuple) !== 2) {
            throw CorruptResult::in($groupId, 'the saved group is not a GroupResult.as_tuple() value.');
        }
        return $tuple;
    }

    /**
     * Whether $connection reaches the same server and database as this backend, so that its
     * chord counters can be written in the broker's transaction.
     */
    public function sharesDatabaseWith(RedisConnection $connection): bool
    {
        return $this->connection->endpoint()->describe() === $connection->endpoint()->describe()
            && $this->connection->database() === $connection->database();
    }

    /**
     * Reads the tasks that are not known to be ready yet.
     *
     * @param list<string> $taskIds
     * @param array<string, ResultMeta> $metas
     * @return array<string, ResultMeta>
     */
    private function fetch(array $taskIds, array $metas): array
    {
        $unknown = array_values(array_filter($taskIds, static fn (string $id) => !isset($metas[$id]) || !$metas[$id]->isReady()));
        if ($unknown === []) {
            return $metas;
        }
        return array_replace($metas, $this->metas($unknown));
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
