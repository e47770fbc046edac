<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Broker\QueueKeys;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Wire\Uuid;

/**
 * kombu's pidbox on Redis. Every worker PSUBSCRIBEs the mailbox channel
 * "<fanout prefix><control_exchange>.pidbox", where the fanout prefix is "/<db>." by default
 * (kombu's fanout_prefix transport option) and the broker's global_keyprefix comes in front of
 * it. Nothing is queued: a worker that is not connected when the command is published never
 * hears it. Replies come back on a ReplyQueue.
 *
 * @internal
 */
final class RedisMailbox implements Mailbox
{
    /** Lamport clock of this publisher, like the mailbox clock of a fresh Python app. */
    private int $clock = 0;

    /**
     * @param QueueKeys $keys the broker's global_keyprefix and sep (kombu's binding separator)
     * @param bool|string $fanoutPrefix kombu's fanout_prefix: true = "/{db}.", false = none, or a custom prefix
     */
    public function __construct(
        private readonly RedisConnection $connection,
        private readonly string $controlExchange = 'celery',
        private readonly QueueKeys $keys = new QueueKeys(),
        private readonly bool|string $fanoutPrefix = true,
        private readonly bool $fanoutPatterns = true,
    ) {
    }

    public function exchange(): string
    {
        return $this->controlExchange . '.pidbox';
    }

    /** The pub/sub channel workers listen on. Reads the connection's database number. */
    public function channel(): string
    {
        return $this->fanoutChannel($this->exchange());
    }

    /**
     * The PUB/SUB channel of a kombu fanout exchange on Redis: "<global_keyprefix>/<db>.<exchange>",
     * and with fanout_patterns (kombu's default) "/<routing key>" after it, as for events.
     */
    public function fanoutChannel(string $exchange, ?string $routingKey = null): string
    {
        $prefix = match (true) {
            $this->fanoutPrefix === true => '/{db}.',
            $this->fanoutPrefix === false => '',
            default => $this->fanoutPrefix,
        };
        // kombu fills in {db} once it knows the connection's database.
        $prefix = str_replace('{db}', (string) $this->connection->database(), $prefix);
        $suffix = $routingKey !== null && $this->fanoutPatterns ? '/' . $routingKey : '';
        return $this->keys->key($prefix . $exchange . $suffix);
    }

    public function tell(Broadcast $command): int
    {
        // Python's mailbox sends expires = now + the reply timeout (1 s by default); workers
        // only look at it on replies, so it is informational here.
        $envelope = $command->toEnvelope($this->exchange(), ++$this->clock, microtime(true) + 1.0, Uuid::v4());
        return $this->connection->publish($this->channel(), $envelope);
    }

    /**
     * As kombu's pidbox does on Redis: the command is PUBLISHed with a ticket and the workers
     * answer on a reply queue (ReplyQueue) that this client BRPOPs, then removes.
     */
    public function ask(Broadcast $command, float $timeout, int $limit): array
    {
        // Every command of the call (the reply binding, the broadcast, the waits, the clean-up)
        // ends by the deadline. The collection stops a little early to leave the clean-up its time.
        $deadline = Clock::now() + $timeout;
        $cleanUp = min(0.2, $timeout / 10);
        return $this->connection->withDeadline($deadline, function () use ($command, $limit, $deadline, $cleanUp): array {
            $replies = new ReplyQueue($this->connection, $this->keys, 'reply.' . $this->exchange());
            try {
                $this->tell($command->replyTo($replies->ticket, $replies->exchange, $replies->routingKey));
                return $replies->collect($deadline - $cleanUp, $limit);
            } finally {
                $replies->close();
            }
        });
    }
}
