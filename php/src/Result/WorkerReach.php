<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Broker\QueueInspector;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;

/**
 * What a client's results reach on first use: the worker control a revoke() needs and the
 * queue inspector that explains a get() timing out on a PENDING task. Both are made when first
 * asked for, so a client that never revokes never loads them. Results hold this object, never
 * the client: a dropped client frees its connections without PHP's cycle collector.
 *
 * @internal
 */
final class WorkerReach
{
    private ?WorkerControl $control = null;
    private ?QueueInspector $queues = null;

    public function __construct(
        private readonly RedisConnection $broker,
        private readonly ClientConfig $config,
    ) {
    }

    public function control(): WorkerControl
    {
        return $this->control ??= WorkerControl::fromConfig($this->broker, $this->config);
    }

    public function queues(): QueueInspector
    {
        return $this->queues ??= new QueueInspector($this->broker, $this->config->queueKeys);
    }
}
