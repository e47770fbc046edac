<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTimeout;

/**
 * Where result handles read their state: Celery's result backend, as the handles see it
 * (Backend\RedisResultBackend, Backend\RpcResultBackend). Results know this class only, so the
 * backend builds result values and not the other way round.
 *
 * A ready result never changes, so each handle reads it once (Celery's AsyncResult keeps its
 * cache the same way): the store keeps the ready meta of every handle it answered for while
 * the handle lives, whether the handle read it itself or a ResultSet's wait did.
 *
 * @internal
 */
abstract class ResultStore
{
    /** @var \WeakMap<AsyncResult, ResultMeta>|null ready metas by handle */
    private ?\WeakMap $ready = null;

    /**
     * The clock this store's waits run on: a deadline given to within() or computed for
     * wait() is a reading of it.
     */
    public function clock(): Clock
    {
        return Clock::system();
    }

    /** The ready meta this store read for $result, if any. */
    public function known(AsyncResult $result): ?ResultMeta
    {
        return $this->ready[$result] ?? null;
    }

    /** Keeps $meta for $result when it is ready and its own (earlier states are read afresh). */
    public function keep(AsyncResult $result, ResultMeta $meta): void
    {
        if ($meta->taskId === $result->id && $meta->isReady()) {
            $this->ready ??= new \WeakMap();
            $this->ready[$result] = $meta;
        }
    }

    /**
     * AsyncResult::meta(): the ready meta kept for $result, or the stored one, read now (and
     * kept when it is ready).
     *
     * @throws ConnectionFailed|CorruptResult
     */
    public function metaOf(AsyncResult $result): ResultMeta
    {
        $meta = $this->ready[$result] ?? null;
        if ($meta === null) {
            $meta = $this->meta($result->id);
            $this->keep($result, $meta);
        }
        return $meta;
    }

    /**
     * AsyncResult::forget(): deletes the stored result and what was kept for $result.
     *
     * @throws ConnectionFailed
     */
    public function forgetResult(AsyncResult $result): void
    {
        $this->forget($result->id);
        $this->drop($result);
    }

    /** Forgets what was kept for $result (after forget(), the state reads PENDING again). */
    public function drop(AsyncResult $result): void
    {
        unset($this->ready[$result]);
    }

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
     * Runs $call with every read of this store ending by $deadline (a reading of clock();
     * null: no limit). A store without I/O of its own just runs it.
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
