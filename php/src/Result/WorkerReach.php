<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Broker\Amqp\AmqpQueues;
use CeleryBridge\Broker\Amqp\Channel;
use CeleryBridge\Broker\AmqpChannelOpener;
use CeleryBridge\Broker\QueueInspector;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\AmqpMailbox;
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
    /** Over RabbitMQ: the channel control and queue inspection share, opened on first use. */
    private ?Channel $channel = null;
    /** Opens that channel; null for Redis (left at its default: a PHP-FPM request's client writes nothing). */
    private ?AmqpChannelOpener $amqp = null;

    /**
     * @param RedisConnection|null $broker the Redis broker; null for a RabbitMQ broker, which
     *        $amqp then opens a channel to (a connection of its own, not the publisher's)
     */
    public function __construct(
        private readonly ?RedisConnection $broker,
        private readonly ClientConfig $config,
        ?AmqpChannelOpener $amqp = null,
    ) {
        if ($amqp !== null) {
            $this->amqp = $amqp;
        }
    }

    /** The RabbitMQ channel opener this reaches the workers through; null for Redis. */
    public function amqpChannels(): ?AmqpChannelOpener
    {
        return $this->amqp;
    }

    /**
     * @throws InvalidConfiguration|\CeleryBridge\Exception\ConnectionFailed
     */
    public function control(): WorkerControl
    {
        return $this->control ??= $this->broker === null
            ? new WorkerControl(new AmqpMailbox($this->channel(), $this->config->controlExchange))
            : WorkerControl::fromConfig($this->broker, $this->config);
    }

    /** Whether queues() can answer. */
    public function hasQueues(): bool
    {
        return $this->broker !== null || $this->amqp !== null;
    }

    /**
     * @throws InvalidConfiguration|\CeleryBridge\Exception\ConnectionFailed
     */
    public function queues(): QueueInspector
    {
        return $this->queues ??= $this->broker === null
            ? new QueueInspector(new AmqpQueues($this->channel()))
            : new QueueInspector($this->broker, $this->config->queueKeys());
    }

    private function channel(): Channel
    {
        return $this->channel ??= ($this->amqp ?? throw InvalidConfiguration::invalid(
            'broker',
            'none',
            'remote control and queue inspection need a broker.',
        ))->open();
    }
}
