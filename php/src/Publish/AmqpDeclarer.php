<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Connection\Amqp\AmqpConnection;
use CeleryBridge\Connection\Amqp\ChannelClosed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Exception\TopologyMismatch;

/**
 * What AmqpTransport declares: a publish's queue, exchange and binding (or the delayed-delivery
 * exchange it needs), each once per connection, as kombu's maybe_declare caches them, or again
 * when RabbitMQ has just said the route is gone. A broker that closes the channel says what is
 * wrong: 404 (missing, with amqp_declare => passive) or 406 (declared with other arguments).
 *
 * @internal
 */
final class AmqpDeclarer
{
    /** @var array<string, int> queue or exchange => the connection generation it was declared (or routed to) on */
    private array $declared = [];

    public function __construct(private readonly AmqpConnection $connection, private readonly bool $passive)
    {
    }

    /**
     * Declares (or, with amqp_declare => passive, checks) a publish's queue, exchange and
     * binding, once per connection as kombu's maybe_declare does; with $again also when this
     * connection declared them already (RabbitMQ returned the message: they are gone since).
     *
     * @throws ConnectionFailed|TopologyMismatch|RoutingFailed
     */
    public function declare(AmqpPublish $publish, bool $again = false): void
    {
        $generation = $this->connection->generation();
        $queue = $publish->declare;
        if ($publish->requireExchange !== null && ($this->declared['exchange:' . $publish->requireExchange] ?? 0) !== $generation) {
            try {
                $this->connection->declareExchange($publish->requireExchange, 'topic', true, true);
            } catch (ChannelClosed $e) {
                throw self::noDelayExchange($publish->requireExchange, $e->replyText);
            }
            $this->declared['exchange:' . $publish->requireExchange] = $generation;
        }
        if ($queue === null) {
            return;
        }
        $key = self::key($publish);
        if (!$again && ($this->declared[$key] ?? 0) === $generation) {
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

    /**
     * Notes that RabbitMQ routed a publish to its queue on this connection: a later batch to it
     * declares nothing, as after a declare. Only for the default exchange, which routes by queue
     * name: a named exchange that routed a message may have routed it to another queue.
     */
    public function routed(AmqpPublish $publish): void
    {
        if ($publish->message->exchange === '' && $publish->declare !== null) {
            $this->declared[self::key($publish)] = $this->connection->generation();
        }
    }

    /** The delayed-delivery exchange is the workers' (built at their start): never declared here. */
    public static function noDelayExchange(string $exchange, string $brokerText): RoutingFailed
    {
        return RoutingFailed::noExchange($exchange, $brokerText, 'It is part of RabbitMQ\'s native delayed delivery, which '
            . 'the workers build when they start with a quorum queue: start a worker first (Celery would lose this task '
            . 'silently).');
    }

    private static function key(AmqpPublish $publish): string
    {
        \assert($publish->declare !== null);
        return $publish->declare->name === '' ? 'exchange:' . $publish->declare->exchange : 'queue:' . $publish->declare->name;
    }
}
