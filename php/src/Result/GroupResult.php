<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Exception\InvalidControlCommand;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\NoWorkerControl;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;

/**
 * The results of a group, in the order of its tasks (Celery's GroupResult).
 *
 * A task of the group that is a chain gives the chain's last result; one that ends in a group
 * gives a nested GroupResult, whose values come as a nested list. Waiting reads all of them
 * together (one MGET, one subscription), as a ResultSet does.
 *
 * @implements \IteratorAggregate<int, AsyncResult|GroupResult>
 */
final class GroupResult implements \Countable, \IteratorAggregate
{
    /** @var list<AsyncResult|GroupResult> */
    public readonly array $results;

    /** Restored by unserialize(): there is no client to read through. */
    private bool $detached = false;

    /**
     * @param string $id the group id every task carried (its "group" header)
     * @param list<AsyncResult|GroupResult> $results
     * @param AsyncResult|GroupResult|null $parent the result this group followed in a chain, or a chord header
     */
    public function __construct(
        public readonly string $id,
        array $results,
        public readonly AsyncResult|GroupResult|null $parent = null,
        /** A WorkerControl, or the handles that make it on first use. */
        private WorkerReach|WorkerControl|null $control = null,
    ) {
        $this->results = array_values($results);
    }

    /**
     * Waits for every task and returns the values in the group's order.
     *
     * @param float|null $timeout seconds for the whole group; null waits without limit
     * @param bool $propagate false gives the ExceptionInfo of a failed task in place of its value
     * @return list<mixed>
     * @throws TaskFailed|TaskRevoked|ResultTimeout|ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function get(?float $timeout = null, bool $propagate = true): array
    {
        $values = $this->set()->get($timeout, $propagate);
        return $this->shape($values);
    }

    /**
     * The ids of the group's results, in order (a nested group gives its group id).
     *
     * @return list<string>
     */
    public function ids(): array
    {
        return array_map(static fn (AsyncResult|GroupResult $r): string => $r->id, $this->results);
    }

    /**
     * The state of every task, in order (nested groups flattened into it).
     *
     * @return list<string>
     * @throws ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function states(): array
    {
        return $this->set()->states();
    }

    public function ready(): bool
    {
        return $this->set()->ready();
    }

    public function successful(): bool
    {
        return $this->set()->successful();
    }

    public function failed(): bool
    {
        return $this->set()->failed();
    }

    public function completedCount(): int
    {
        return $this->set()->completedCount();
    }

    /**
     * Revokes every task of the group with one broadcast (see CeleryClient::revoke()).
     *
     * @return int how many workers heard it
     * @throws NoWorkerControl|InvalidControlCommand|ConnectionFailed
     */
    public function revoke(bool $terminate = false, string|int $signal = 'SIGTERM'): int
    {
        $control = $this->control ?? throw NoWorkerControl::forTask($this->id);
        $this->control = $control = $control instanceof WorkerReach ? $control->control() : $control;
        return $control->revoke($this->set()->ids(), $terminate, $signal);
    }

    public function count(): int
    {
        return count($this->results);
    }

    /**
     * @return \ArrayIterator<int, AsyncResult|GroupResult>
     */
    public function getIterator(): \ArrayIterator
    {
        return new \ArrayIterator($this->results);
    }

    /**
     * The id, results and parent; no connection and no client (reading the copy throws
     * NoResultBackend, which says how to rebuild it).
     *
     * @return array{id: string, results: list<AsyncResult|GroupResult>, parent: AsyncResult|GroupResult|null}
     */
    public function __serialize(): array
    {
        return ['id' => $this->id, 'results' => $this->results, 'parent' => $this->parent];
    }

    /**
     * @param array<string, mixed> $data
     */
    public function __unserialize(array $data): void
    {
        $results = $data['results'] ?? null;
        if (!is_string($data['id'] ?? null) || !is_array($results) || !array_is_list($results)) {
            throw new \UnexpectedValueException('A serialized GroupResult must hold a group id and a list of results.');
        }
        foreach ($results as $result) {
            if (!$result instanceof AsyncResult && !$result instanceof self) {
                throw new \UnexpectedValueException('A serialized GroupResult may only hold results.');
            }
        }
        $parent = $data['parent'] ?? null;
        if ($parent !== null && !$parent instanceof AsyncResult && !$parent instanceof self) {
            throw new \UnexpectedValueException('The parent of a serialized GroupResult must be a result.');
        }
        $this->id = $data['id'];
        $this->results = $results;
        $this->parent = $parent;
        $this->control = null;
        $this->detached = true;
    }

    /**
     * Celery's GroupResult.save(): stores the group's shape (its task ids, nested groups and
     * parents) in the result backend, under celery-taskset-meta-<id> as Celery's Redis backend
     * does, so that CeleryClient::restoreGroup() (or Python's GroupResult.restore()) gives it
     * back from the group id alone, e.g. one kept in a database.
     *
     * @throws ConnectionFailed|NoResultBackend
     */
    public function save(): void
    {
        $leaves = $this->leaves();
        if ($leaves === [] || $this->detached) {
            throw $this->detached ? NoResultBackend::groupAfterUnserialize($this->id) : NoResultBackend::configured($this->id);
        }
        $leaves[0]->backend()->saveGroup($this->id, $this->asTuple());
    }

    /**
     * Celery's as_tuple(): ((id, parent tuple), [tuple of each result]).
     *
     * @internal
     * @return array{array{string, array<mixed>|null}, list<array<mixed>>}
     */
    public function asTuple(): array
    {
        return [[$this->id, $this->parent?->asTuple()], array_map(
            static fn (AsyncResult|GroupResult $result): array => $result->asTuple(),
            $this->results,
        )];
    }

    /**
     * @throws NoResultBackend
     */
    private function set(): ResultSet
    {
        if ($this->detached) {
            throw NoResultBackend::groupAfterUnserialize($this->id);
        }
        return new ResultSet($this->leaves());
    }

    /**
     * @return list<AsyncResult>
     */
    private function leaves(): array
    {
        $leaves = [];
        foreach ($this->results as $result) {
            if ($result instanceof self) {
                array_push($leaves, ...$result->leaves());
            } else {
                $leaves[] = $result;
            }
        }
        return $leaves;
    }

    /**
     * Puts flat values back into the group's nesting.
     *
     * @param list<mixed> $values
     * @return list<mixed>
     */
    private function shape(array &$values): array
    {
        $shaped = [];
        foreach ($this->results as $result) {
            $shaped[] = $result instanceof self ? $result->shape($values) : array_shift($values);
        }
        return $shaped;
    }
}
