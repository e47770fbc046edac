<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\ResultTimeout;

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

    /**
     * @param WorkerReach|null $queues whose queue inspector explains a PENDING task that timed out
     * @param bool $sentThere whether the task was sent to $queue, or it is only the default queue
     */
    public function __construct(
        private readonly ResultStore $backend,
        private readonly string $id,
        private readonly ?WorkerReach $queues,
        private readonly string $queue,
        private readonly bool $sentThere,
    ) {
    }

    /**
     * When a PENDING task times out, a look at its queue explains why. That look gets the last
     * tenth of the time (at most EXPLAIN seconds, at least EXPLAIN_MIN), so that get() still
     * ends in time; a task in another state waits that last tenth too. $onMessage is told each
     * state stored on the way.
     *
     * @throws ResultTimeout|ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function until(?float $timeout, ?float $deadline, ?callable $onMessage): ResultMeta
    {
        $onMessage = $onMessage === null ? null : self::changesOnly($onMessage);
        $explain = $this->queues === null || $timeout === null ? 0.0 : min(self::EXPLAIN, $timeout / 10);
        try {
            return $this->waitFor($timeout === null ? null : $timeout - $explain, $onMessage);
        } catch (ResultTimeout $e) {
            $timedOut = ResultTimeout::after((float) $timeout, $e->states);
        }
        if (($timedOut->states[$this->id] ?? null) === 'PENDING') {
            throw $this->explain($timedOut, max((float) $deadline, Clock::now() + self::EXPLAIN_MIN));
        }
        $left = (float) $deadline - Clock::now();
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
        if ($this->queues === null || !$this->queues->hasQueues() || ($timeout->states[$this->id] ?? null) !== 'PENDING') {
            return $timeout;
        }
        $queues = $this->queues->queues();
        try {
            return $timeout->explained($queues->within(
                $deadline,
                fn (): string => $queues->explainPending($this->queue, $this->sentThere, $this->id),
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
        $by = $deadline === null ? null : max($deadline, Clock::now() + WaitTime::ONE_READ);
        foreach ($backend->within($by, static fn (): array => $backend->metas($ids)) as $meta) {
            if (in_array($meta->status, State::PROPAGATE, true)) {
                return $meta;
            }
        }
        return null;
    }
}
