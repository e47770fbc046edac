<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Broker\QueueInspector;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\InvalidConfiguration;

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

    /**
     * @param RedisConnection|null $broker null for a RabbitMQ broker: remote control and queue
     *        inspection over AMQP are not here yet
     */
    public function __construct(
        private readonly ?RedisConnection $broker,
        private readonly ClientConfig $config,
    ) {
    }

    /**
     * @throws InvalidConfiguration over RabbitMQ (not available yet)
     */
    public function control(): WorkerControl
    {
        return $this->control ??= WorkerControl::fromConfig($this->redisBroker('remote control (revoke, ping, inspect)'), $this->config);
    }

    /** Whether queues() can answer (a Redis broker). */
    public function hasQueues(): bool
    {
        return $this->broker !== null;
    }

    /**
     * @throws InvalidConfiguration over RabbitMQ (not available yet)
     */
    public function queues(): QueueInspector
    {
        return $this->queues ??= new QueueInspector($this->redisBroker('queue length and purge'), $this->config->queueKeys);
    }

    private function redisBroker(string $what): RedisConnection
    {
        return $this->broker ?? throw InvalidConfiguration::invalid(
            'broker',
            'an AMQP URL',
            sprintf('%s over RabbitMQ is not available in this version; it needs a Redis broker.', $what),
        );
    }
}
