<?php

declare(strict_types=1);

namespace CeleryBridge\Events;

use CeleryBridge\Broker\Amqp\Channel;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Wire\Uuid;

/**
 * Celery's events as its EventReceiver reads them on RabbitMQ: "celeryev" (event_exchange) is a
 * durable topic exchange there, declared by every event publisher; the receiver binds a queue of
 * its own, "celeryev.<uuid>", with the routing keys it wants ("task.sent", "task.multi",
 * "worker.heartbeat", ...) and consumes it without acks. The queue is exclusive and auto-delete
 * (RabbitMQ removes it with the connection), with Celery's event_queue_ttl (5 s: an event not
 * read by then is dropped) and event_queue_expires (60 s).
 *
 * Unlike Redis PUB/SUB, RabbitMQ keeps an event for the queue between reads: a slow reader
 * loses only what waited longer than the TTL.
 *
 * @internal
 */
final class AmqpEventQueue
{
    /** Celery's event_queue_ttl and event_queue_expires (seconds), in ms as kombu sends them. */
    private const TTL_MS = 5000;
    private const EXPIRES_MS = 60000;
    /** A wait without a deadline is cut into waits this long. */
    private const LONGEST_WAIT = 60.0;

    private ?Channel $channel;
    /** The Channel::generation() the queue is consumed on. */
    private int $generation = 0;

    /**
     * Declares the exchange and this reader's queue, binds it and starts consuming, so that
     * every event published from now on is kept for it.
     *
     * @param list<string> $routingKeys
     * @throws ConnectionFailed
     */
    public function __construct(Channel $channel, private readonly string $exchange, private readonly array $routingKeys)
    {
        $this->channel = $channel;
        $this->listen($channel);
    }

    /**
     * Declares and consumes a queue of this reader's own; again after a lost connection took
     * the last one (RabbitMQ deleted it, exclusive): events published in between are not kept.
     */
    private function listen(Channel $channel): void
    {
        $exchange = $this->exchange;
        $routingKeys = $this->routingKeys;
        $queue = $exchange . '.' . Uuid::v4();
        $channel->declareExchange($exchange, 'topic', true);
        $channel->declareOwnQueue($queue, [
            'x-message-ttl' => self::TTL_MS,
            'x-expires' => self::EXPIRES_MS,
        ]);
        foreach ($routingKeys as $routingKey) {
            $channel->bindQueue($queue, $exchange, $routingKey);
        }
        $channel->consume($queue);
        $this->generation = $channel->generation();
    }

    /**
     * The JSON body of the next event (or of a task.multi list), null at the deadline
     * (Clock::now() time; null: none).
     *
     * @throws ConnectionFailed
     */
    public function next(?float $deadline): ?string
    {
        while ($this->channel !== null) {
            if ($this->channel->generation() !== $this->generation) {
                $this->listen($this->channel);
            }
            $until = $deadline ?? Clock::now() + self::LONGEST_WAIT;
            $delivered = $this->channel->next($until);
            if ($delivered !== null) {
                return $delivered->body;
            }
            if ($this->channel->generation() !== $this->generation) {
                // The connection was lost: a new queue on a new one, for the rest of the wait.
                continue;
            }
            if ($deadline !== null) {
                return null;
            }
        }
        return null;
    }

    public function close(): void
    {
        $this->channel?->close();
        $this->channel = null;
    }
}
