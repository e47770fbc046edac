<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTimeout;

/**
 * Where result handles read their state: Celery's result backend, as the handles see it
 * (Backend\RedisResultBackend is the implementation). Results know this class only, so the
 * backend builds result values and not the other way round.
 *
 * Stores alive in this process register themselves, so that a result unserialized in another
 * request finds the store it was read from again (restore()).
 *
 * @internal
 */
abstract class ResultStore
{
    /** @var list<\WeakReference<self>> stores alive in this process */
    private static array $live = [];

    protected function __construct()
    {
        self::$live = array_values(array_filter(self::$live, static fn (\WeakReference $ref) => $ref->get() !== null));
        self::$live[] = \WeakReference::create($this);
    }

    /**
     * A store alive in this process for an unserialized result: the one with the same
     * fingerprint, else the only one (like Celery's current app), else null.
     */
    public static function restore(?string $fingerprint): ?self
    {
        $alive = array_values(array_filter(array_map(static fn (\WeakReference $ref) => $ref->get(), self::$live)));
        // The most recent first, as Celery's "current app" is the last one created.
        foreach (array_reverse($alive) as $store) {
            if ($fingerprint !== null && $store->fingerprint() === $fingerprint) {
                return $store;
            }
        }
        return count($alive) === 1 ? $alive[0] : null;
    }

    /** Where the results live, without secrets: server, database and key prefix. */
    abstract public function fingerprint(): string;

    /**
     * @throws ConnectionFailed|CorruptResult
     */
    abstract public function meta(string $taskId): ResultMeta;

    /**
     * @param list<string> $taskIds
     * @return array<string, ResultMeta> by task id
     * @throws ConnectionFailed|CorruptResult
     */
    abstract public function metas(array $taskIds): array;

    /**
     * @param list<string> $taskIds
     * @param array<string, ResultMeta> $known metas already known to be ready
     * @return array<string, ResultMeta> by task id
     * @throws ConnectionFailed|CorruptResult|ResultTimeout
     */
    abstract public function wait(array $taskIds, ?float $timeout, bool $stopOnFailure = false, array $known = []): array;

    /**
     * wait() for one task, calling $onMessage with each state stored for it while waiting
     * (Celery's get(on_message=...)). A store that cannot see intermediate states reports the
     * final one only; the Redis backend reports every state the worker publishes.
     *
     * @param \Closure(ResultMeta): void $onMessage
     * @return array<string, ResultMeta> by task id
     * @throws ConnectionFailed|CorruptResult|ResultTimeout
     */
    public function waitWatching(string $taskId, ?float $timeout, \Closure $onMessage): array
    {
        $metas = $this->wait([$taskId], $timeout);
        $onMessage($metas[$taskId]);
        return $metas;
    }

    /**
     * @throws ConnectionFailed
     */
    abstract public function forget(string $taskId): void;

    /**
     * @param array<mixed> $tuple
     * @throws ConnectionFailed
     */
    abstract public function saveGroup(string $groupId, array $tuple): void;

    /**
     * Runs $call with every read of this store ending by $deadline (Clock::now() +
     * seconds; null: no limit). A store without I/O of its own just runs it.
     *
     * @template T
     * @param \Closure(): T $call
     * @return T
     * @throws ConnectionFailed
     */
    public function within(?float $deadline, \Closure $call): mixed
    {
        return $call();
    }
}
