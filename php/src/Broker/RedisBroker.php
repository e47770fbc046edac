<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\TaskMessage;

/**
 * Puts task messages where kombu's Redis transport puts them: LPUSH onto the queue's list for
 * the message priority (workers BRPOP, so each list is FIFO).
 */
final class RedisBroker
{
    public function __construct(
        private readonly RedisConnection $connection,
        private readonly QueueKeys $keys,
    ) {
    }

    /**
     * @throws ConnectionFailed|RoutingFailed
     */
    public function publish(TaskMessage $message, Delivery $delivery): void
    {
        $this->publishEnvelope($message->toEnvelope(), $delivery);
    }

    /**
     * @param string $envelope kombu's Redis envelope (TaskMessage::toEnvelope())
     * @throws ConnectionFailed|RoutingFailed
     */
    public function publishEnvelope(string $envelope, Delivery $delivery): void
    {
        foreach ($this->queuesFor($delivery) as $queue) {
            $this->connection->lPush($this->keys->listFor($queue, $delivery->priority), $envelope);
        }
    }

    /**
     * The anonymous exchange routes by queue name. A named (direct) exchange is emulated by the
     * publisher in kombu: it reads the binding set "_kombu.binding.<exchange>", whose members are
     * "<routing key><sep><pattern><sep><queue>", and pushes to every queue bound with that key.
     *
     * @return list<string>
     */
    private function queuesFor(Delivery $delivery): array
    {
        if ($delivery->exchange === '') {
            return [$delivery->queue];
        }
        $queues = [];
        foreach ($this->connection->sMembers($this->keys->key('_kombu.binding.' . $delivery->exchange)) as $member) {
            $parts = explode("\x06\x16", $member);
            if (count($parts) === 3 && $parts[0] === $delivery->routingKey()) {
                $queues[$parts[2]] = true;
            }
        }
        if ($queues === []) {
            throw RoutingFailed::noBinding($delivery->exchange, $delivery->routingKey());
        }
        return array_keys($queues);
    }
}
