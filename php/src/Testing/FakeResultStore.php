<?php

declare(strict_types=1);

namespace CeleryBridge\Testing;

use CeleryBridge\Exception\InvalidTimeout;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Result\ResultStore;
use CeleryBridge\Result\State;

/**
 * CeleryFake's result backend, in memory: what a test set for a task id, else what it set for
 * the task's name, else PENDING (Celery's answer for a task no worker has finished).
 *
 * A wait never waits: what is not ready now will never be, so get() times out at once.
 *
 * @internal
 */
final class FakeResultStore extends ResultStore
{
    /** @var array<string, ResultMeta> by task id */
    private array $metas = [];

    /** @var array<string, array<mixed>> saved groups by group id */
    private array $groups = [];

    /**
     * @param \Closure(string): ?ResultMeta $byName the outcome the test set for the task name of an id
     */
    public function __construct(private readonly \Closure $byName)
    {
    }

    public function set(ResultMeta $meta): void
    {
        $this->metas[$meta->taskId] = $meta;
    }

    public function meta(string $taskId): ResultMeta
    {
        return $this->metas[$taskId] ?? ($this->byName)($taskId) ?? ResultMeta::pending($taskId);
    }

    public function metas(array $taskIds): array
    {
        $metas = [];
        foreach ($taskIds as $taskId) {
            $metas[$taskId] = $this->meta($taskId);
        }
        return $metas;
    }

    public function wait(array $taskIds, ?float $timeout, bool $stopOnFailure = false, array $known = []): array
    {
        if ($timeout !== null && (is_nan($timeout) || $timeout < 0)) {
            throw InvalidTimeout::of($timeout);
        }
        $metas = $known + $this->metas($taskIds);
        $waiting = [];
        $failed = false;
        foreach ($metas as $taskId => $meta) {
            if (!$meta->isReady()) {
                $waiting[$taskId] = $meta->status;
            }
            $failed = $failed || in_array($meta->status, State::PROPAGATE, true);
        }
        if ($waiting === [] || ($stopOnFailure && $failed)) {
            return $metas;
        }
        throw ResultTimeout::after($timeout ?? 0.0, $waiting);
    }

    public function forget(string $taskId): void
    {
        // Afterwards the task reads PENDING, as after Celery's forget().
        $this->metas[$taskId] = ResultMeta::pending($taskId);
    }

    public function saveGroup(string $groupId, array $tuple): void
    {
        $this->groups[$groupId] = $tuple;
    }

    /**
     * @return array<mixed>|null
     */
    public function group(string $groupId): ?array
    {
        return $this->groups[$groupId] ?? null;
    }
}
