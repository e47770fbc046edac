<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

/**
 * ReplyConsumer over php-amqplib, on a PhpAmqpLibConnection of its own (Celery's result
 * consumer uses a connection apart from the producer's too): the broker URL's nodes in turn,
 * TLS and the password kept out of dumps and traces as for publishing.
 *
 * Each new connection or channel declares the queue again before reading it: a queue RabbitMQ
 * deleted with the last consumer (auto-delete) or after x-expires of disuse must exist before
 * the workers publish to it, and a basic.get or basic.consume on a missing queue closes the
 * channel.
 *
 * @internal
 */
final class PhpAmqpLibReplyConsumer implements ReplyConsumer
{
    /** The connection's generation the queue was declared (and consumed) on; 0: not yet. */
    private int $generation = 0;
    private bool $consuming = false;
    /** @var list<Reply> delivered to the consumer, not handed out yet */
    private array $delivered = [];

    /**
     * @param array<string, int> $arguments the queue's x-arguments (x-expires)
     */
    public function __construct(
        private readonly string $queue,
        private readonly array $arguments,
        private readonly PhpAmqpLibConnection $connection,
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
        $this->connection->close();
        [$this->generation, $this->consuming] = [0, false];
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

    /**
     * Runs $call on the channel, declaring the queue first on a new connection or channel (or
     * always, with $declare). A failure drops the connection, and $call runs once more on a
     * new one, as the Redis backend subscribes again: a consumer RabbitMQ cancelled (its queue
     * was deleted), a connection it closed (a restart). Every call here may run twice:
     * declaring and reading publish nothing, and what was delivered is kept.
     *
     * @template T
     * @param \Closure(AMQPChannel): T $call
     * @return T
     * @throws ConnectionFailed
     */
    private function call(\Closure $call, bool $declare = false): mixed
    {
        for ($attempt = 1;; $attempt++) {
            try {
                return $this->connection->onChannel(function (AMQPChannel $channel) use ($call, $declare): mixed {
                    $generation = $this->connection->generation();
                    if ($declare || $this->generation !== $generation) {
                        // Celery's rpc binding: Queue(oid, Exchange(None), oid, durable=True,
                        // auto_delete=True, expires=result_expires): the default exchange
                        // routes by queue name, so there is no binding.
                        $channel->queue_declare($this->queue, false, true, false, true, false, new AMQPTable($this->arguments));
                        $this->consuming = $this->consuming && $this->generation === $generation;
                        $this->generation = $generation;
                    }
                    return $call($channel);
                });
            } catch (ConnectionFailed | ChannelClosed $e) {
                $this->close();
                if ($attempt === 2 || $e instanceof AuthenticationFailed) {
                    throw $e instanceof ChannelClosed
                        ? ConnectionLost::atRabbitMq($this->connection->server(), 'the rpc:// result queue: ' . $e->getMessage() . '.')
                        : $e;
                }
            }
        }
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
