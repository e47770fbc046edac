<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

/**
 * Makes a client's result handles: every AsyncResult and GroupResult a send returns, each
 * reading through the client's backend and reaching its workers through WorkerReach.
 *
 * @internal
 */
final class ResultHandles
{
    /**
     * @param WorkerReach|null $reach null: handles that cannot revoke (a test's planner)
     */
    public function __construct(
        public readonly ?ResultStore $backend,
        public readonly ?WorkerReach $reach = null,
    ) {
    }

    public function result(string $id, AsyncResult|GroupResult|null $parent = null): AsyncResult
    {
        return new AsyncResult($id, $this->backend, $parent, $this->reach);
    }

    /**
     * @param list<AsyncResult|GroupResult> $results
     */
    public function group(string $id, array $results, AsyncResult|GroupResult|null $parent = null): GroupResult
    {
        return new GroupResult($id, $results, $parent, $this->reach);
    }

    /**
     * A task this client has just sent to $queue: a get() that times out while it is PENDING
     * looks there, and says whether the message still waits or a worker took it.
     */
    public function sent(string $id, string $queue): AsyncResult
    {
        \assert($this->reach !== null);
        $result = new AsyncResult($id, $this->backend, null, $this->reach);
        $result->explainPendingWith($this->reach, $queue, true);
        return $result;
    }
}
