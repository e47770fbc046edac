<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Connection\Amqp\AmqpConnection;
use CeleryBridge\Connection\Amqp\AmqpSettings;
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

    public function __construct(private readonly AmqpConnection $connection, private readonly AmqpSettings $settings)
    {
    }

    /**
     * Whether these publishes go out before anything is declared, and declare only when
     * RabbitMQ says their route is missing. Celery (kombu's maybe_declare) declares the
     * exchange, the queue and the binding before the first publish of each connection: three
     * round trips that a PHP-FPM request, a new connection each time, would pay on every request
     * although the workers declared all of it long ago. A lone publish needs none of them:
     *
     * - it is mandatory and confirmed: RabbitMQ sends basic.return before the basic.ack of a
     *   message no queue took (a missing queue), and closes the channel with 404 for a missing
     *   exchange (then nothing after the publish on that channel is taken). Either way nothing was
     *   routed, so declaring then and publishing again once can neither lose nor duplicate it;
     *   a second return is RoutingFailed, as before;
     * - an existing queue whose arguments differ from this client's (x-max-priority, x-queue-type)
     *   takes the message, as RabbitMQ routes it: the queue the workers declared and consume is the
     *   truth, and the 406 of a declare (TopologyMismatch) comes only when something is declared
     *   (a missing queue, a batch, amqp_declare => 'always', which does as Celery does);
     * - amqp_declare => 'passive' checks only after a return: still nothing created;
     * - on a topic or fanout exchange a message routed is routed to some queue, maybe not this
     *   one when it was deleted and another is bound with a matching key: it goes where the
     *   broker's bindings send it, as any publisher's would;
     * - native delayed delivery's celery_delayed_27 is the workers': a 404 there is RoutingFailed
     *   (nothing routed), never declared.
     *
     * Not for a batch (sendMany, a group): a 404 there closes the channel under the publishes
     * after it, and a failed declare after a partial return would leave part of the batch queued
     * under an exception that cannot name it; a batch declares first, once per connection, and
     * skips what this connection declared or routed a lone publish to. Not without confirms
     * (confirm_publish off): no return or 404 would be waited for.
     *
     * @param list<AmqpPublish> $publishes
     */
    public function goesFirst(array $publishes): bool
    {
        return count($publishes) === 1 && $this->settings->confirm && !$this->settings->declareFirst;
    }

    /**
     * Whether a publish that went out first has a queue to declare when RabbitMQ says its route
     * is missing (native delayed delivery's exchange alone is only ever the workers').
     *
     * @param list<AmqpPublish> $publishes
     */
    public function declaresIfMissing(array $publishes): bool
    {
        return $this->goesFirst($publishes) && $publishes[0]->declare !== null;
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
        $passive = $this->settings->passive;
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
