<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use CeleryBridge\Connection\Amqp\ExtAmqpAttributes;
use CeleryBridge\Connection\Amqp\LibraryObjects;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Wire\Amqp\ExchangeMessage;

/**
 * Channel on ext-amqp (php-amqp 1.11, on rabbitmq-c). That library has no per-value type control:
 * it writes every PHP int as a signed 64-bit field (l, where py-amqp writes I), a float as d, and
 * an empty PHP array as an empty field array (A), never an empty table. Celery's workers read
 * both (py-amqp decodes every integer width), so what they get is the same, but the bytes are
 * not Celery's: byte-identical messages need php-amqplib.
 *
 * Its defaults are not Celery's either: a queue is auto-delete and an exchange non-durable
 * unless flags say otherwise, so every flag is set here explicitly (setFlags() replaces them).
 *
 * @internal
 */
final class ExtAmqpChannel implements Channel
{
    private bool $returned = false;
    private readonly ChannelState $state;

    /**
     * @param (\Closure(): array{\AMQPConnection, string})|null $reconnect see ChannelState
     */
    public function __construct(\AMQPConnection $connection, string $server, ?\Closure $reconnect = null)
    {
        $this->state = new ChannelState($connection, $server, $reconnect);
    }

    public function declareExchange(string $name, string $type, bool $durable): void
    {
        $this->call(function (\AMQPChannel $c) use ($name, $type, $durable): void {
            $exchange = new \AMQPExchange($c);
            $exchange->setName($name);
            $exchange->setType($type);
            $exchange->setFlags($durable ? AMQP_DURABLE : AMQP_NOPARAM);
            $exchange->declareExchange();
        });
    }

    public function messageCount(string $name): ?int
    {
        return $this->call(fn (\AMQPChannel $c): int => self::queue($c, $name, AMQP_PASSIVE | AMQP_DURABLE)->declareQueue(), true);
    }

    public function declareOwnQueue(string $name, array $arguments): void
    {
        $this->call(function (\AMQPChannel $c) use ($name, $arguments): void {
            $queue = self::queue($c, $name, AMQP_EXCLUSIVE | AMQP_AUTODELETE);
            $queue->setArguments($arguments);
            $queue->declareQueue();
        });
    }

    public function bindQueue(string $queue, string $exchange, string $routingKey): void
    {
        $this->call(fn (\AMQPChannel $c) => self::queue($c, $queue, AMQP_NOPARAM)->bind($exchange, $routingKey));
    }

    public function purgeQueue(string $name): ?int
    {
        // ext-amqp 1.11's purge() answers true, not purge-ok's message_count: the count is read
        // by a passive declare just before (a message arriving in between is purged uncounted).
        return $this->call(function (\AMQPChannel $c) use ($name): int {
            $queue = self::queue($c, $name, AMQP_PASSIVE);
            $count = $queue->declareQueue();
            $queue->purge();
            return $count;
        }, true);
    }

    public function deleteQueue(string $name): void
    {
        $this->call(fn (\AMQPChannel $c) => self::queue($c, $name, AMQP_NOPARAM)->delete());
    }

    public function publish(ExchangeMessage $message): void
    {
        $this->call(fn (\AMQPChannel $c) => self::send($c, $message, AMQP_NOPARAM));
    }

    public function publishRouted(ExchangeMessage $message, float $timeout): bool
    {
        $this->call(function (\AMQPChannel $c) use ($message, $timeout): void {
            if (!$this->state->confirming) {
                $c->confirmSelect();
                // RabbitMQ sends basic.return before the basic.ack of an unroutable message;
                // waitForConfirm() hands both to these callbacks (false: stop waiting).
                $c->setReturnCallback(function (): bool {
                    $this->returned = true;
                    return false;
                });
                $c->setConfirmCallback(static fn (): bool => false, static fn (): bool => false);
                $this->state->confirming = true;
            }
            $this->returned = false;
            self::send($c, $message, AMQP_MANDATORY);
            $c->waitForConfirm($timeout);
        });
        return !$this->returned;
    }

    private static function send(\AMQPChannel $channel, ExchangeMessage $message, int $flags): void
    {
        $attributes = ExtAmqpAttributes::of($message->properties);
        $exchange = new \AMQPExchange($channel);
        $exchange->setName($message->exchange);
        $exchange->publish($message->body, $message->routingKey, $flags, $attributes);
    }

    public function consume(string $queue): void
    {
        $this->lib()->consumed = $this->call(function (\AMQPChannel $c) use ($queue): \AMQPQueue {
            $consumer = self::queue($c, $queue, AMQP_NOPARAM);
            // Without a callback: basic.consume only; the deliveries are read by next().
            $consumer->consume(null, AMQP_AUTOACK);
            return $consumer;
        });
    }

    public function generation(): int
    {
        return $this->state->generation;
    }

    public function next(float $deadline): ?Delivered
    {
        $left = $deadline - Clock::now();
        if ($this->lib()->consumed === null || $left <= 0.001) {
            return null;
        }
        $delivered = null;
        $connection = $this->lib()->connection;
        // The consume wait is bounded by the connection's read timeout: set for this wait only.
        $readTimeout = $connection->getReadTimeout();
        try {
            $connection->setReadTimeout($left);
            $this->lib()->consumed->consume(static function (\AMQPEnvelope $envelope) use (&$delivered): bool {
                $delivered = new Delivered(
                    $envelope->getExchangeName(),
                    $envelope->getRoutingKey(),
                    $envelope->getHeaders(),
                    $envelope->getBody(),
                    $envelope->getContentType() === '' ? null : $envelope->getContentType(),
                );
                return false;
            }, AMQP_JUST_CONSUME);
        } catch (\AMQPQueueException $e) {
            // rabbitmq-c's read timeout: nothing came in time.
            if (str_contains(strtolower($e->getMessage()), 'timeout')) {
                return null;
            }
            throw ConnectionFailed::atRabbitMq($this->state->server, $e->getMessage(), $e);
        } catch (\AMQPException $e) {
            // The connection lost: the consumer went with it (generation() tells).
            if ($this->state->dropped($e instanceof \AMQPConnectionException)) {
                return null;
            }
            throw ConnectionFailed::atRabbitMq($this->state->server, $e->getMessage(), $e);
        } finally {
            if ($connection->isConnected()) {
                $connection->setReadTimeout($readTimeout);
            }
        }
        return $delivered;
    }

    public function close(): void
    {
        $this->state->close();
    }

    private static function queue(\AMQPChannel $channel, string $name, int $flags): \AMQPQueue
    {
        $queue = new \AMQPQueue($channel);
        $queue->setName($name);
        $queue->setFlags($flags);
        return $queue;
    }

    /**
     * @template T
     * @param \Closure(\AMQPChannel): T $operation
     * @return T|null
     * @throws ConnectionFailed
     */
    private function call(\Closure $operation, bool $missingIsNull = false): mixed
    {
        $retry = true;
        while (true) {
            $connection = $this->state->connection();
            try {
                if ($this->lib()->channel === null) {
                    $this->lib()->channel = new \AMQPChannel($connection);
                    $this->lib()->consumed = null;
                }
                return $operation($this->lib()->channel);
            } catch (\AMQPConnectionException $e) {
                // The connection went (node restarted, connection closed by an operator): once
                // on a new one, as kombu's ensure_connection retries an operation.
                if ($this->state->dropped(true) && $retry) {
                    $retry = false;
                    continue;
                }
                throw ConnectionFailed::atRabbitMq($this->state->server, $e->getMessage(), $e);
            } catch (\AMQPException $e) {
                // A 404 or 406 closes the channel (ext-amqp marks it unusable); the connection
                // stays, unless ext-amqp reports it gone (ChannelState::lost() checks).
                return $this->state->lost($e, $missingIsNull);
            }
        }
    }

    private function lib(): LibraryObjects
    {
        return $this->state->lib();
    }
}
