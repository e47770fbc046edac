<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;

/**
 * Several results read together (Celery's ResultSet): one MGET to look, one subscription to wait.
 *
 * @implements \IteratorAggregate<int, AsyncResult>
 */
final class ResultSet implements \Countable, \IteratorAggregate
{
    /**
     * @param list<AsyncResult> $results
     */
    public function __construct(public readonly array $results)
    {
    }

    /**
     * @return list<string>
     */
    public function ids(): array
    {
        return array_map(static fn (AsyncResult $r): string => $r->id, $this->results);
    }

    /**
     * Waits for all tasks and returns their values in the order of the results.
     *
     * With $propagate (the default) the wait ends as soon as any task has failed or been
     * revoked, and the first such task, in the order of the results, is thrown. Without it,
     * failed and revoked tasks give their ExceptionInfo in place of a value.
     *
     * @param float|null $timeout seconds for the whole set; null waits without limit
     * @return list<mixed>
     * @throws TaskFailed|TaskRevoked|ResultTimeout|ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function get(?float $timeout = null, bool $propagate = true): array
    {
        foreach ($this->byBackend() as [$backend, $results]) {
            $known = [];
            foreach ($results as $result) {
                $meta = $backend->known($result);
                if ($meta !== null) {
                    $known[$result->id] = $meta;
                }
            }
            $ids = array_map(static fn (AsyncResult $r): string => $r->id, $results);
            $metas = $backend->wait($ids, $timeout, $propagate, $known);
            foreach ($results as $result) {
                $backend->keep($result, $metas[$result->id]);
            }
        }
        $values = [];
        foreach ($this->results as $result) {
            $meta = $result->backend()->known($result);
            if ($meta === null) {
                // Only when propagating: another task failed before this one finished.
                continue;
            }
            $values[] = $meta->outcome($propagate);
        }
        return $values;
    }

    /**
     * Every task's state, in order, read with one MGET.
     *
     * @return list<string>
     * @throws ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function states(): array
    {
        return array_map(static fn (ResultMeta $m): string => $m->status, $this->metas());
    }

    public function ready(): bool
    {
        return $this->count() === $this->completedCount();
    }

    /** How many tasks are ready (SUCCESS, FAILURE or REVOKED). */
    public function completedCount(): int
    {
        return count(array_filter($this->metas(), static fn (ResultMeta $m): bool => $m->isReady()));
    }

    /** True when every task succeeded. */
    public function successful(): bool
    {
        return array_filter($this->metas(), static fn (ResultMeta $m): bool => $m->status !== State::SUCCESS) === [];
    }

    /** True when any task failed. */
    public function failed(): bool
    {
        return array_filter($this->metas(), static fn (ResultMeta $m): bool => $m->status === State::FAILURE) !== [];
    }

    public function count(): int
    {
        return count($this->results);
    }

    /**
     * @return \ArrayIterator<int, AsyncResult>
     */
    public function getIterator(): \ArrayIterator
    {
        return new \ArrayIterator($this->results);
    }

    /**
     * @return list<ResultMeta> in the order of the results
     */
    private function metas(): array
    {
        $fresh = [];
        foreach ($this->byBackend() as [$backend, $results]) {
            $missing = array_values(array_filter($results, static fn (AsyncResult $r): bool => $backend->known($r) === null));
            if ($missing === []) {
                continue;
            }
            $metas = $backend->metas(array_map(static fn (AsyncResult $r): string => $r->id, $missing));
            foreach ($missing as $result) {
                $backend->keep($result, $metas[$result->id]);
                $fresh[spl_object_id($result)] = $metas[$result->id];
            }
        }
        return array_map(
            static fn (AsyncResult $r): ResultMeta => $r->backend()->known($r) ?? $fresh[spl_object_id($r)],
            $this->results,
        );
    }

    /**
     * Results grouped by the backend they read from (normally a single group).
     *
     * @return list<array{ResultStore, list<AsyncResult>}>
     */
    private function byBackend(): array
    {
        $groups = [];
        foreach ($this->results as $result) {
            $backend = $result->backend();
            $key = spl_object_id($backend);
            $groups[$key] ??= [$backend, []];
            $groups[$key][1][] = $result;
        }
        return array_values($groups);
    }
}
