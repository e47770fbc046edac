<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Broker\QueueInspector;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;

/**
 * Makes a client's result handles, and what they reach on first use: the worker control a
 * revoke() needs and the queue inspector that explains a get() timing out on a PENDING task.
 * Both are made when first asked for, so a client that never revokes never loads them.
 *
 * The handles hold this object, never the client: a dropped client (and its handles) frees its
 * connections without PHP's cycle collector.
 *
 * @internal
 */
final class ResultHandles
{
    private ?WorkerControl $control = null;
    private ?QueueInspector $queues = null;

    /**
     * @param RedisConnection|null $broker null: handles that cannot revoke (a test's planner)
     */
    public function __construct(
        public readonly ?ResultStore $backend,
        private readonly ?RedisConnection $broker = null,
        private readonly ?ClientConfig $config = null,
    ) {
    }

    public function control(): WorkerControl
    {
        \assert($this->broker !== null && $this->config !== null);
        return $this->control ??= WorkerControl::fromConfig($this->broker, $this->config);
    }

    public function queues(): QueueInspector
    {
        \assert($this->broker !== null && $this->config !== null);
        return $this->queues ??= new QueueInspector($this->broker, $this->config->queueKeys);
    }

    public function result(string $id, AsyncResult|GroupResult|null $parent = null): AsyncResult
    {
        return new AsyncResult($id, $this->backend, $parent, $this->broker === null ? null : $this);
    }

    /**
     * @param list<AsyncResult|GroupResult> $results
     */
    public function group(string $id, array $results, AsyncResult|GroupResult|null $parent = null): GroupResult
    {
        return new GroupResult($id, $results, $parent, $this->broker === null ? null : $this);
    }

    /**
     * A task this client has just sent to $queue: a get() that times out while it is PENDING
     * looks there, and says whether the message still waits or a worker took it.
     */
    public function sent(string $id, string $queue): AsyncResult
    {
        $result = new AsyncResult($id, $this->backend, null, $this);
        $result->explainPendingWith($this, $queue, true);
        return $result;
    }
}
