<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Broker\QueueKeys;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\PubSubWaiter;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidControlCommand;
use CeleryBridge\Wire\Uuid;

/**
 * Broadcasts remote control commands to the workers, as Celery's app.control does on Redis.
 *
 * Every worker PSUBSCRIBEs the mailbox channel "<fanout prefix><control_exchange>.pidbox",
 * where the fanout prefix is "/<db>." by default (kombu's fanout_prefix transport option) and
 * the broker's global_keyprefix comes in front of it. Nothing is queued: a worker that is not
 * connected when the command is published never hears it.
 *
 * Get it from CeleryClient::control(): ping() and inspect() ask the workers and collect their
 * replies, revoke() and revokeByStampedHeaders() tell them.
 */
final class WorkerControl
{
    /** The longest inspect()/ping() timeout: a day. */
    private const LONGEST = 86400;

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

    /**
     * @internal
     */
    public static function fromConfig(RedisConnection $connection, ClientConfig $config): self
    {
        return new self(
            $connection,
            $config->controlExchange,
            $config->queueKeys,
            $config->fanoutPrefix,
            $config->fanoutPatterns,
        );
    }

    /** @internal The mailbox exchange name, which also goes in the envelope's delivery_info. */
    public function exchange(): string
    {
        return $this->controlExchange . '.pidbox';
    }

    /**
     * @internal The pub/sub channel workers listen on. Reads the connection's database number.
     */
    public function channel(): string
    {
        return $this->fanoutChannel($this->exchange());
    }

    /**
     * @internal
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

    /**
     * Asks the workers and collects their replies for $timeout seconds, or until $limit
     * workers have answered (Celery's app.control.inspect(): "ping", "stats", "active",
     * "scheduled", "reserved", "registered", "active_queues").
     *
     * As kombu's pidbox does on Redis: the command is PUBLISHed with a ticket and the workers
     * answer on a reply queue (ReplyQueue) that this client BRPOPs, then removes.
     *
     * @param list<string>|null $destination only these workers ("celery@host")
     * @return array<string, mixed> node name => its reply, in the order they came
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function inspect(string $method, float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        if (!is_finite($timeout) || $timeout <= 0 || $timeout > self::LONGEST) {
            throw InvalidControlCommand::invalid('timeout', $timeout, sprintf(
                'expected a positive number of seconds, at most %d (the replies are collected for that long).',
                self::LONGEST,
            ));
        }
        // Every command of the call (the reply binding, the broadcast, the waits, the clean-up)
        // ends by the deadline. The collection stops a little early to leave the clean-up its time.
        $deadline = PubSubWaiter::now() + $timeout;
        $cleanUp = min(0.2, $timeout / 10);
        return $this->connection->withDeadline($deadline, function () use ($method, $destination, $limit, $deadline, $cleanUp): array {
            $replies = new ReplyQueue($this->connection, $this->keys, 'reply.' . $this->exchange());
            try {
                $this->publish(Broadcast::inspect($method, $destination, $replies->ticket, $replies->exchange, $replies->routingKey));
                return $replies->collect($deadline - $cleanUp, $limit ?? count($destination ?? []));
            } finally {
                $replies->close();
            }
        });
    }

    /**
     * Which workers answer within $timeout (Celery's inspect().ping()): node name => ["ok" => "pong"].
     *
     * @param list<string>|null $destination
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function ping(float $timeout = 1.0, ?array $destination = null): array
    {
        return $this->inspect('ping', $timeout, $destination);
    }

    /**
     * Tells the workers to discard these tasks (Celery's app.control.revoke()).
     *
     * @param string|list<string> $taskIds
     * @param list<string>|null $destination node names ("celery@host"); null = every worker
     * @return int how many connections heard the broadcast (PUBLISH's count); 0 means no worker did
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function revoke(
        string|array $taskIds,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int {
        return $this->publish(Broadcast::revoke($taskIds, $terminate, $signal, $destination));
    }

    /**
     * Tells the workers to discard the tasks stamped with these values (Celery 5.3+'s
     * app.control.revoke_by_stamped_headers()).
     *
     * @param array<string, string|list<string>> $headers stamp name => value(s)
     * @param list<string>|null $destination
     * @return int how many connections heard the broadcast
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function revokeByStampedHeaders(
        array $headers,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int {
        return $this->publish(Broadcast::revokeByStampedHeaders($headers, $terminate, $signal, $destination));
    }

    /**
     * @throws ConnectionFailed
     */
    private function publish(Broadcast $command): int
    {
        // Python's mailbox sends expires = now + the reply timeout (1 s by default); workers
        // only look at it on replies, so it is informational here.
        $envelope = $command->toEnvelope($this->exchange(), ++$this->clock, microtime(true) + 1.0, Uuid::v4());
        return $this->connection->publish($this->channel(), $envelope);
    }
}
