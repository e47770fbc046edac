<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Connection\Clock;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;

use function is_string;

/**
 * AsyncResult::get()'s wait: for the task's result, with the explanation of a PENDING task
 * that timed out, and Celery's check of the parents' failures. Loaded by the first get(), so
 * that a script that only sends never compiles it.
 *
 * @internal
 */
final class ResultWait
{
    /** At most this many seconds of a get() timeout are kept for explaining a PENDING task. */
    private const EXPLAIN = 0.2;
    /** The explanation's least time, even past the deadline of a very short timeout. */
    private const EXPLAIN_MIN = 0.05;

    private readonly Clock $clock;

    private readonly string $id;

    /** A client's WorkerReach, whose queue inspector explains a PENDING task that timed out. */
    private readonly ?WorkerReach $queues;

    /**
     * @param WorkerReach|WorkerControl|null $control the handle's (a WorkerControl given by hand
     *        has no queue inspector)
     * @param Dispatch|string|null $dispatch the queue the explanation looks at (a queue name
     *        alone: the task was sent there)
     */
    public function __construct(
        private readonly ResultStore $backend,
        private readonly AsyncResult $result,
        WorkerReach|WorkerControl|null $control,
        private readonly Dispatch|string|null $dispatch,
    ) {
        $this->clock = $backend->clock();
        $this->id = $result->id;
        $this->queues = $control instanceof WorkerReach ? $control : null;
    }

    /**
     * AsyncResult::get(): the value once the task is ready (see there), the ready meta kept
     * for the handle; with $followParents, a failed parent's exception first.
     *
     * @param float|null $timeout checked by WaitTime
     * @throws TaskFailed|TaskRevoked|ResultTimeout|ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function value(?float $timeout, bool $propagate, bool $followParents, ?callable $onMessage): mixed
    {
        $deadline = $this->clock->deadline($timeout);
        $parents = $followParents && $propagate && $this->result->parent !== null;
        $ready = $this->backend->known($this->result);
        if ($ready === null) {
            if ($parents) {
                self::parentFailure($this->result->parent, $this->backend, $deadline)?->outcome(true);
            }
            $ready = $this->until($timeout, $deadline, $onMessage);
            $this->backend->keep($this->result, $ready);
        }
        if ($parents && in_array($ready->status, State::PROPAGATE, true)) {
            // Celery checks the parents while it waits too: a parent's failure wins.
            self::parentFailure($this->result->parent, $this->backend, $deadline)?->outcome(true);
        }
        return $ready->outcome($propagate);
    }

    /**
     * When a PENDING task times out, a look at its queue explains why. That look gets the last
     * tenth of the time (at most EXPLAIN seconds, at least EXPLAIN_MIN), so that get() still
     * ends in time; a task in another state waits that last tenth too. $onMessage is told each
     * state stored on the way. $deadline is a reading of the backend's clock.
     *
     * @throws ResultTimeout|ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function until(?float $timeout, ?float $deadline, ?callable $onMessage): ResultMeta
    {
        $onMessage = $onMessage === null ? null : self::changesOnly($onMessage);
        $explain = $this->queues === null || $this->dispatch === null || $timeout === null ? 0.0 : min(self::EXPLAIN, $timeout / 10);
        try {
            return $this->waitFor($timeout === null ? null : $timeout - $explain, $onMessage);
        } catch (ResultTimeout $e) {
            $timedOut = ResultTimeout::after((float) $timeout, $e->states);
        }
        if (($timedOut->states[$this->id] ?? null) === 'PENDING') {
            throw $this->explain($timedOut, max((float) $deadline, $this->clock->seconds() + self::EXPLAIN_MIN));
        }
        $left = $this->clock->left((float) $deadline);
        if ($explain === 0.0 || $left <= 0) {
            throw $timedOut;
        }
        try {
            return $this->waitFor($left, $onMessage);
        } catch (ResultTimeout $e) {
            throw ResultTimeout::after((float) $timeout, $e->states);
        }
    }

    /**
     * The backend's wait for this task, telling $onMessage each state on the way when given.
     *
     * @throws ResultTimeout|ConnectionFailed|CorruptResult|NoResultBackend
     */
    private function waitFor(?float $timeout, ?\Closure $onMessage): ResultMeta
    {
        return $onMessage === null
            ? $this->backend->wait([$this->id], $timeout)[$this->id]
            : $this->backend->waitWatching($this->id, $timeout, $onMessage)[$this->id];
    }

    /**
     * $onMessage called only when the state differs from the last one it was given: get() may
     * wait twice (see until()), and each state is told once.
     *
     * @param callable(ResultMeta): void $onMessage
     */
    private static function changesOnly(callable $onMessage): \Closure
    {
        $last = null;
        return static function (ResultMeta $meta) use ($onMessage, &$last): void {
            if ($meta != $last) {
                $last = $meta;
                $onMessage($meta);
            }
        };
    }

    private function explain(ResultTimeout $timeout, float $deadline): ResultTimeout
    {
        if (
            $this->queues === null || $this->dispatch === null || !$this->queues->hasQueues()
            || ($timeout->states[$this->id] ?? null) !== 'PENDING'
        ) {
            return $timeout;
        }
        $queues = $this->queues->queues();
        $dispatch = is_string($this->dispatch) ? new Dispatch($this->dispatch, true) : $this->dispatch;
        try {
            return $timeout->explained($queues->within(
                $deadline,
                fn (): string => $queues->explainPending($dispatch->queue, $dispatch->sentThere, $this->id),
            ));
        } catch (ConnectionFailed) {
            // The broker cannot be asked right now (or not before the deadline): the timeout says enough.
            return $timeout;
        }
    }

    /**
     * Celery's _maybe_reraise_parent_error(): the parents from the first step on, a group's
     * tasks in order; the first one that failed or was revoked, which get() throws.
     *
     * @throws ConnectionFailed|CorruptResult
     */
    public static function parentFailure(AsyncResult|GroupResult|null $parent, ResultStore $backend, ?float $deadline): ?ResultMeta
    {
        $nodes = [];
        for ($node = $parent; $node !== null; $node = $node->parent) {
            $nodes[] = $node;
        }
        $ids = [];
        foreach (array_reverse($nodes) as $node) {
            foreach ($node instanceof GroupResult ? $node->results : [$node] as $result) {
                $ids[] = $result->id;
            }
        }
        // Within get()'s timeout, but with the time for one read even once it has run out.
        $by = $deadline === null ? null : max($deadline, $backend->clock()->seconds() + WaitTime::ONE_READ);
        foreach ($backend->within($by, static fn (): array => $backend->metas($ids)) as $meta) {
            if (in_array($meta->status, State::PROPAGATE, true)) {
                return $meta;
            }
        }
        return null;
    }
}
