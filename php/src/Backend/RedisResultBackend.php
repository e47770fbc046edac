<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Connection\Clock;
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
 * Celery's Redis result backend as the client's results read it: `celery-task-meta-<id>` keys
 * (MetaReader) and their channels (ResultListener). The writes a canvas makes, chord counters
 * and saved groups, are GroupStateWriter's.
 *
 * @internal
 */
final class RedisResultBackend extends ResultStore
{
    private ?MetaReader $reader = null;
    private ?ResultListener $listener = null;
    private ?GroupStateWriter $groupState = null;
    private readonly Clock $clock;

    /**
     * @param string $keyPrefix the global key prefix as Celery applies it (see fromOptions())
     * @param int|null $expires result_expires in seconds; null = results never expire
     * @param int|null $maxSize result_max_size in bytes; null = no limit
     * @param Clock|null $clock what the waits' deadlines are read on (the system clock; a test's
     *        clock goes with a connection that does not time its own reads)
     */
    public function __construct(
        private readonly RedisConnection $connection,
        public readonly string $keyPrefix = '',
        public readonly ?int $expires = 86400,
        private readonly ?int $maxSize = null,
        ?Clock $clock = null,
    ) {
        $this->clock = $clock ?? Clock::system();
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

    public function clock(): Clock
    {
        return $this->clock;
    }

    public function within(?float $deadline, \Closure $call): mixed
    {
        return $this->connection->withDeadline($deadline, $call);
    }

    public function taskKey(string $taskId): string
    {
        return $this->reader()->taskKey($taskId);
    }

    public function groupKey(string $groupId): string
    {
        return $this->reader()->groupKey($groupId);
    }

    /**
     * @throws ConnectionFailed|CorruptResult
     */
    public function meta(string $taskId): ResultMeta
    {
        return $this->reader()->meta($taskId);
    }

    /**
     * @param list<string> $taskIds
     * @return array<string, ResultMeta> by task id
     * @throws ConnectionFailed|CorruptResult
     */
    public function metas(array $taskIds): array
    {
        return $this->reader()->metas($taskIds);
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
        return $this->reader()->groupTuple($groupId);
    }

    /**
     * Waits until every task is ready (SUCCESS, FAILURE, REVOKED), or with $stopOnFailure
     * until one of them failed or was revoked (see ResultListener).
     *
     * @param list<string> $taskIds
     * @param array<string, ResultMeta> $known metas already known to be ready
     * @return array<string, ResultMeta> by task id
     * @throws ResultTimeout|ConnectionFailed|CorruptResult|InvalidTimeout
     */
    public function wait(array $taskIds, ?float $timeout, bool $stopOnFailure = false, array $known = []): array
    {
        return $this->waitFor($taskIds, $timeout, $stopOnFailure, $known, null);
    }

    /**
     * Every state the worker stores while this waits reaches $onMessage: each store is a SET
     * and a PUBLISH on the task's channel (update_state(state='PROGRESS', meta=...) included),
     * and the states read from the key around the subscription count too, each state once.
     */
    public function waitWatching(string $taskId, ?float $timeout, \Closure $onMessage): array
    {
        return $this->waitFor([$taskId], $timeout, false, [], self::watcher($taskId, $onMessage));
    }

    /**
     * @param list<string> $taskIds
     * @param array<string, ResultMeta> $known
     * @param (\Closure(array<string, ResultMeta>): void)|null $onMessage
     * @return array<string, ResultMeta>
     * @throws ResultTimeout|ConnectionFailed|CorruptResult|InvalidTimeout
     */
    private function waitFor(array $taskIds, ?float $timeout, bool $stopOnFailure, array $known, ?\Closure $onMessage): array
    {
        $timeout = WaitTime::seconds($timeout);
        $now = $this->clock->seconds();
        $deadline = $timeout === null ? null : $now + $timeout;
        $this->listener ??= new ResultListener($this->connection, $this->reader(), $this->clock);
        // Every GET of the wait shares the caller's deadline: a backend that accepts connections
        // but never answers must not hold get() for its socket timeout. A deadline too near for
        // one round trip (timeout 0: "is it stored now?") still lets the first GET be answered.
        return $this->connection->withDeadline(
            $deadline === null ? null : max($deadline, $now + WaitTime::ONE_READ),
            fn (): array => $this->listener->until($deadline, (float) $timeout, $taskIds, $stopOnFailure, $known, $onMessage),
        );
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
     * Deletes the stored result, as AsyncResult.forget() does.
     *
     * @throws ConnectionFailed
     */
    public function forget(string $taskId): void
    {
        $this->connection->del($this->taskKey($taskId));
    }

    /**
     * Celery's _save_group(), for GroupResult::save().
     *
     * @param array<mixed> $tuple
     * @throws ConnectionFailed
     */
    public function saveGroup(string $groupId, array $tuple): void
    {
        $writer = $this->groupState();
        $writer->run($writer->savedGroup($groupId, $tuple));
    }

    /**
     * Writes chord counters and saved groups (made on first use: only canvases need it).
     */
    public function groupState(): GroupStateWriter
    {
        return $this->groupState ??= new GroupStateWriter($this->connection, $this->keyPrefix, $this->expires);
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

    private function reader(): MetaReader
    {
        return $this->reader ??= new MetaReader($this->connection, $this->keyPrefix, new ResultDecoder($this->maxSize));
    }
}
