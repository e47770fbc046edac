<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

/**
 * Makes a client's result handles: every AsyncResult and GroupResult a send returns, each
 * reading through the client's backend and reaching its workers through WorkerReach, with
 * what the client knows of how it was sent (Dispatch) given at construction.
 *
 * @internal
 */
final class ResultHandles
{
    /**
     * @var array<string, AsyncResult|string> per queue, its name once the first task was sent
     *      there, then a model handle (see AsyncResult::copyOf()): every task sent there shares it
     */
    private array $sentTo = [];

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
     * looks there, and says whether the message still waits or a worker took it. With
     * $ignored (sent with ignore_result) get() returns null at once, as in Celery.
     */
    public function sent(
        string $id,
        string $queue,
        bool $ignored = false,
        AsyncResult|GroupResult|null $parent = null,
    ): AsyncResult {
        if ($ignored || $parent !== null) {
            return new AsyncResult($id, $this->backend, $parent, $this->reach, new Dispatch($queue, true, $ignored));
        }
        // The common case, every task of sendTask() and sendMany(): a copy of the queue's model,
        // made at the second task sent there (a PHP-FPM request that sends one task makes none).
        $model = $this->sentTo[$queue] ?? null;
        if ($model instanceof AsyncResult) {
            return AsyncResult::copyOf($model, $id);
        }
        if ($model === null) {
            // The queue's name is all a handle needs of a task sent there: no Dispatch to make
            // (nor its class to load) in a request that sends one task.
            $this->sentTo[$queue] = $queue;
            return new AsyncResult($id, $this->backend, null, $this->reach, $queue);
        }
        $this->sentTo[$queue] = AsyncResult::model($this->backend, $this->reach, $model);
        return AsyncResult::copyOf($this->sentTo[$queue], $id);
    }

    /**
     * The handle sent() copies for $queue, for a caller that copies it per task itself with
     * AsyncResult::copyOf() (sendMany()'s loop, ChunkBuilder::addAll()).
     */
    public function modelFor(string $queue): AsyncResult
    {
        $model = $this->sentTo[$queue] ?? null;
        if ($model instanceof AsyncResult) {
            return $model;
        }
        // Nothing sent there yet, or one task by sent(): the model now.
        return $this->sentTo[$queue] = AsyncResult::model($this->backend, $this->reach, $queue);
    }

    /**
     * A task known by its id alone: a get() that times out while it is PENDING looks at
     * $defaultQueue, where the task may or may not have gone.
     */
    public function lookup(string $id, string $defaultQueue): AsyncResult
    {
        return new AsyncResult($id, $this->backend, null, $this->reach, new Dispatch($defaultQueue, false));
    }
}
