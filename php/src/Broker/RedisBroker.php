<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Message\Delivery;

/**
 * Where kombu's Redis transport puts task messages: LPUSH onto the queue's list for the message
 * priority (workers BRPOP, so each list is FIFO), on every queue bound to a named exchange.
 */
final class RedisBroker
{
    public function __construct(
        private readonly RedisConnection $connection,
        private readonly QueueKeys $keys,
    ) {
    }

    /**
     * The LPUSHes that put one message on every queue its delivery routes to.
     *
     * @return list<array{string, string, string}>
     * @throws ConnectionFailed|RoutingFailed
     */
    public function writesFor(string $envelope, Delivery $delivery): array
    {
        $writes = [];
        foreach ($this->queuesFor($delivery) as $queue) {
            $writes[] = ['LPUSH', $this->keys->listFor($queue, $delivery->priority), $envelope];
        }
        return $writes;
    }

    /**
     * The anonymous exchange routes by queue name. A named (direct) exchange is emulated by the
     * publisher in kombu: it reads the binding set "_kombu.binding.<exchange>", whose members are
     * "<routing key><sep><pattern><sep><queue>" (sep: the same transport option that names the
     * priority lists), and pushes to every queue bound with that key.
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
            $parts = explode($this->keys->sep, $member);
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
