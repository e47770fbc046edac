<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Connection\Amqp\AmqpConnection;
use CeleryBridge\Connection\Amqp\ChannelClosed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Exception\TopologyMismatch;

/**
 * What AmqpTransport declares before it publishes: a publish's queue, exchange and binding (or
 * the delayed-delivery exchange it needs), each once per connection, as kombu's maybe_declare
 * caches them. A broker that closes the channel says what is wrong: 404 (missing, with
 * amqp_declare => passive) or 406 (declared with other arguments).
 *
 * @internal
 */
final class AmqpDeclarer
{
    /** @var array<string, int> queue or exchange => the connection generation it was declared on */
    private array $declared = [];

    public function __construct(private readonly AmqpConnection $connection, private readonly bool $passive)
    {
    }

    /**
     * Declares (or, with amqp_declare => passive, checks) a publish's queue, exchange and
     * binding, once per connection as kombu's maybe_declare does.
     *
     * @throws ConnectionFailed|TopologyMismatch|RoutingFailed
     */
    public function declare(AmqpPublish $publish): void
    {
        $generation = $this->connection->generation();
        $queue = $publish->declare;
        if ($publish->requireExchange !== null && ($this->declared['exchange:' . $publish->requireExchange] ?? 0) !== $generation) {
            try {
                $this->connection->declareExchange($publish->requireExchange, 'topic', true, true);
            } catch (ChannelClosed $e) {
                throw RoutingFailed::noExchange($publish->requireExchange, $e->replyText, 'It is part of RabbitMQ\'s native delayed '
                    . 'delivery, which the workers build when they start with a quorum queue: start a worker first (Celery would '
                    . 'lose this task silently).');
            }
            $this->declared['exchange:' . $publish->requireExchange] = $generation;
        }
        if ($queue === null) {
            return;
        }
        $key = $queue->name === '' ? 'exchange:' . $queue->exchange : 'queue:' . $queue->name;
        if (($this->declared[$key] ?? 0) === $generation) {
            return;
        }
        $passive = $this->passive;
        try {
            $this->connection->declareExchange($queue->exchange, $queue->exchangeType, $queue->durable, $passive);
        } catch (ChannelClosed $e) {
            throw $e->refused($this->connection->server(), sprintf('declare exchange "%s"', $queue->exchange))
                ?? ($e->replyCode === ChannelClosed::NOT_FOUND
                ? RoutingFailed::noExchange($queue->exchange, $e->replyText)
                : TopologyMismatch::declaring('exchange', $queue->exchange, $e->replyText));
        }
        if ($queue->name !== '') {
            try {
                $this->connection->declareQueue($queue->name, $queue->durable, $queue->arguments, $passive);
                if (!$passive) {
                    $this->connection->bindQueue($queue->name, $queue->exchange, $queue->routingKey);
                }
            } catch (ChannelClosed $e) {
                throw $e->refused($this->connection->server(), sprintf('declare queue "%s"', $queue->name))
                    ?? ($e->replyCode === ChannelClosed::NOT_FOUND
                    ? RoutingFailed::noQueue($queue->name, $e->replyText)
                    : TopologyMismatch::declaring('queue', $queue->name, $e->replyText));
            }
        }
        $this->declared[$key] = $generation;
    }
}
