<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\ConnectionRefused;
use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Connection\AMQPConnectionFactory;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

/**
 * ReplyConsumer over php-amqplib, on a connection of its own (Celery's result consumer uses
 * one apart from the producer's too), to the broker URL's nodes in turn; or on a channel of
 * a connection the application injected.
 *
 * Each new connection declares the queue again before reading it: a queue RabbitMQ deleted
 * with the last consumer (auto-delete) or after x-expires of disuse must exist before the
 * workers publish to it, and a basic.get or basic.consume on a missing queue closes the channel.
 *
 * @internal
 */
final class PhpAmqpLibReplyConsumer implements ReplyConsumer
{
    private ?AbstractConnection $connection = null;
    private ?AMQPChannel $channel = null;
    private bool $declared = false;
    private bool $consuming = false;
    private int $node = 0;
    /** @var list<Reply> delivered to the consumer, not handed out yet */
    private array $delivered = [];

    /**
     * @param list<AmqpUrl> $nodes
     * @param array<string, int> $arguments the queue's x-arguments (x-expires)
     */
    public function __construct(
        private readonly string $queue,
        private readonly array $arguments,
        private readonly array $nodes,
        private readonly AmqpSettings $settings,
        private readonly ?AbstractConnection $injected = null,
    ) {
    }

    /**
     * Celery declares before every publish (on_task_call), and so does this: one round trip on
     * a connection that is open already (0.05 to 0.1 ms to a local RabbitMQ), and a queue
     * deleted since (by hand, or x-expires after a long idle time) is back before the publish.
     */
    public function declare(): void
    {
        $this->call(static fn (): null => null, true);
    }

    public function fetch(): array
    {
        return $this->call(function (AMQPChannel $channel): array {
            $this->drain($channel);
            if ($this->consuming) {
                // RabbitMQ pushes each result to a no-ack consumer as it arrives: nothing waits
                // in the queue (at most a message is on its way).
                return $this->take();
            }
            // Before any wait, the queue holds them: basic.get until RabbitMQ answers get-empty.
            while (($message = $channel->basic_get($this->queue, true)) instanceof AMQPMessage) {
                $this->delivered[] = self::reply($message);
            }
            return $this->take();
        });
    }

    public function await(?float $deadline): array
    {
        return $this->call(function (AMQPChannel $channel) use ($deadline): array {
            if (!$this->consuming) {
                // no_ack, as kombu's result consumer: a delivered result is this process's.
                $channel->basic_consume($this->queue, '', false, true, false, false, function (AMQPMessage $message): void {
                    $this->delivered[] = self::reply($message);
                });
                $this->consuming = true;
            }
            $this->drain($channel);
            while ($this->delivered === []) {
                $left = $deadline === null ? INF : $deadline - Clock::now();
                if ($left <= 0.0) {
                    break;
                }
                try {
                    // php-amqplib: a timeout of 0 waits without limit. RabbitMQ's heartbeats
                    // wake the wait, and php-amqplib answers them before it waits again.
                    $channel->wait(null, false, is_infinite($left) ? 0 : max($left, 0.001));
                } catch (AMQPTimeoutException) {
                    continue;
                }
            }
            return $this->take();
        });
    }

    public function close(): void
    {
        try {
            $this->channel?->close();
            if ($this->injected === null) {
                $this->connection?->close();
            }
        } catch (\Throwable) {
            // Already gone: nothing to release.
        }
        $this->reset();
    }

    /**
     * The deliveries php-amqplib has read already (kept aside while it waited for another
     * reply, such as a basic.get-ok) or that are in the socket now, without blocking.
     */
    private function drain(AMQPChannel $channel): void
    {
        while ($channel->hasPendingMethods()) {
            $channel->wait(null, true);
        }
        do {
            $before = count($this->delivered);
            $channel->wait(null, true);
        } while (count($this->delivered) > $before);
    }

    /** @return list<Reply> */
    private function take(): array
    {
        [$replies, $this->delivered] = [$this->delivered, []];
        return $replies;
    }

    private function declareOn(AMQPChannel $channel): void
    {
        // Celery's rpc binding: Queue(oid, Exchange(None), oid, durable=True, auto_delete=True,
        // expires=result_expires): the default exchange routes by queue name, no binding.
        $channel->queue_declare($this->queue, false, true, false, true, false, new AMQPTable($this->arguments));
        $this->declared = true;
    }

    /**
     * Runs $call on the channel, connecting (and declaring the queue) first when needed. A
     * failure drops the connection, and $call runs once more on a new one, as the Redis
     * backend subscribes again: a consumer RabbitMQ cancelled (its queue was deleted), a
     * connection it closed (a restart). Every call here may run twice: declaring and reading
     * do not publish anything, and what was delivered is kept.
     *
     * @template T
     * @param \Closure(AMQPChannel): T $call
     * @param bool $declare declare the queue even when this connection did already
     * @return T
     * @throws ConnectionFailed
     */
    private function call(\Closure $call, bool $declare = false): mixed
    {
        for ($attempt = 1;; $attempt++) {
            $channel = $this->channel ?? $this->open();
            try {
                if ($declare || !$this->declared) {
                    $this->declareOn($channel);
                }
                return $call($channel);
            } catch (\Throwable $e) {
                $this->close();
                $failure = $this->lost('the connection failed', $e);
                if ($attempt === 2 || $failure instanceof AuthenticationFailed) {
                    throw $failure;
                }
            }
        }
    }

    /**
     * @throws ConnectionFailed
     */
    private function open(): AMQPChannel
    {
        $this->reset();
        try {
            if ($this->injected !== null) {
                $this->connection = $this->injected;
            } elseif ($this->nodes === []) {
                throw new \LogicException('no broker URL');
            } else {
                $this->connection = $this->connect();
            }
            return $this->channel = $this->connection->channel();
        } catch (ConnectionFailed $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw $this->lost('cannot connect', $e);
        }
    }

    /** Each node of a failover list once, from the one that worked last. */
    private function connect(): AbstractConnection
    {
        $error = null;
        for ($i = 0; $i < count($this->nodes); $i++) {
            try {
                return AMQPConnectionFactory::create(PhpAmqpLibConfig::for($this->nodes[$this->node], $this->settings));
            } catch (\Throwable $e) {
                $error = $e;
                $this->node = ($this->node + 1) % count($this->nodes);
            }
        }
        throw $error ?? new \LogicException('no broker URL');
    }

    private function reset(): void
    {
        [$this->connection, $this->channel, $this->declared, $this->consuming] = [null, null, false, false];
    }

    private function lost(string $what, \Throwable $e): ConnectionFailed
    {
        if ($e instanceof ConnectionFailed) {
            return $e;
        }
        $server = $this->nodes === [] ? 'an injected connection' : $this->nodes[$this->node]->server();
        $class = substr((string) strrchr('\\' . $e::class, '\\'), 1);
        $text = sprintf('reading the rpc:// result queue: %s (%s: %s).', $what, $class, $e->getMessage());
        if (str_contains($e->getMessage(), 'ACCESS_REFUSED') || str_contains($e->getMessage(), 'NOT_ALLOWED')) {
            return AuthenticationFailed::atRabbitMq($server, $text . ' Check the user, password and vhost of the broker URL.', $e);
        }
        return $what === 'cannot connect'
            ? ConnectionRefused::atRabbitMq($server, $text, $e)
            : ConnectionLost::atRabbitMq($server, $text, $e);
    }

    private static function reply(AMQPMessage $message): Reply
    {
        $property = static fn (string $name): ?string => $message->has($name) ? (string) $message->get($name) : null;
        return new Reply(
            $property('correlation_id'),
            $property('content_type'),
            $property('content_encoding'),
            $message->getBody(),
        );
    }
}
