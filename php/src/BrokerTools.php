<?php

declare(strict_types=1);

namespace CeleryBridge;

use CeleryBridge\Broker\AmqpChannelOpener;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Events\Event;
use CeleryBridge\Events\EventStream;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Result\WorkerReach;

/**
 * What CeleryClient does on its broker besides publishing: Celery's event stream and the queue
 * tools. Made by the call that needs it, so that a request that only sends never compiles it.
 *
 * @internal
 */
final class BrokerTools
{
    /**
     * @param RedisConnection|null $broker the Redis broker; null over RabbitMQ, where $amqp opens
     *        channels on connections of their own
     */
    public function __construct(
        private readonly ?RedisConnection $broker,
        private readonly ?AmqpChannelOpener $amqp,
        private readonly WorkerReach $reach,
        private readonly ClientConfig $config,
    ) {
    }

    /**
     * CeleryClient::events(): over RabbitMQ on a channel of its own, over Redis subscribed to
     * the broker's fanout channels of these event types.
     *
     * @param (callable(Event): bool)|null $until
     * @param list<string>|null $types
     * @throws InvalidOption|ConnectionFailed
     */
    public function events(?float $timeout, ?callable $until, ?array $types): EventStream
    {
        $until = $until === null ? null : \Closure::fromCallable($until);
        return $this->amqp !== null
            ? EventStream::overAmqp($this->amqp, $timeout, $until, $types, $this->config->eventExchange)
            : EventStream::overRedis(
                $this->broker ?? throw new \LogicException('A client has a Redis or an AMQP broker.'),
                $this->reach->control(),
                $this->config,
                $timeout,
                $until,
                $types,
            );
    }

    /** @throws CeleryBridgeException */
    public function queueLength(?string $queue): int
    {
        return $this->reach->queues()->length($this->queueName($queue));
    }

    /** @throws CeleryBridgeException */
    public function purgeQueue(?string $queue): int
    {
        return $this->reach->queues()->purge($this->queueName($queue));
    }

    private function queueName(?string $queue): string
    {
        // The same check as the queue option: the name becomes a Redis key that workers BRPOP.
        if ($queue === null) {
            return $this->config->defaultQueue;
        }
        return (string) TaskOptions::fromArray(['queue' => $queue])->queue;
    }
}
