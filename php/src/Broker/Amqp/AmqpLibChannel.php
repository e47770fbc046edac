<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use CeleryBridge\Connection\Amqp\LibraryObjects;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Wire\Amqp\ExchangeMessage;
use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Exception\AMQPProtocolChannelException;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

/**
 * Channel on php-amqplib. Messages go out with the properties Wire\Amqp encodes (py-amqp's type
 * letters), not php-amqplib's own table encoding, which writes floats as strings and empty maps
 * as arrays: php-amqplib only frames them (PropertiesMessage).
 *
 * @internal
 */
final class AmqpLibChannel implements Channel
{
    /** @var list<Delivered> deliveries read while waiting, not yet handed out */
    private array $received = [];
    private bool $returned = false;
    private readonly ChannelState $state;

    /**
     * @param (\Closure(): array{AbstractConnection, string})|null $reconnect see ChannelState
     */
    public function __construct(AbstractConnection $connection, string $server, ?\Closure $reconnect = null)
    {
        $this->state = new ChannelState($connection, $server, $reconnect);
    }

    public function declareExchange(string $name, string $type, bool $durable): void
    {
        $this->call(fn (AMQPChannel $c) => $c->exchange_declare($name, $type, false, $durable, false));
    }

    public function messageCount(string $name): ?int
    {
        $ok = $this->call(fn (AMQPChannel $c) => $c->queue_declare($name, true, true, false, false), true);
        return is_array($ok) ? (int) $ok[1] : null;
    }

    public function declareOwnQueue(string $name, array $arguments): void
    {
        $this->call(fn (AMQPChannel $c) => $c->queue_declare($name, false, false, true, true, false, new AMQPTable($arguments)));
    }

    public function bindQueue(string $queue, string $exchange, string $routingKey): void
    {
        $this->call(fn (AMQPChannel $c) => $c->queue_bind($queue, $exchange, $routingKey));
    }

    public function purgeQueue(string $name): ?int
    {
        $count = $this->call(fn (AMQPChannel $c) => $c->queue_purge($name), true);
        return is_int($count) ? $count : null;
    }

    public function deleteQueue(string $name): void
    {
        $this->call(fn (AMQPChannel $c) => $c->queue_delete($name));
    }

    public function publish(ExchangeMessage $message): void
    {
        $frame = new PropertiesMessage($message->body, $message->properties->encode());
        $this->call(fn (AMQPChannel $c) => $c->basic_publish($frame, $message->exchange, $message->routingKey));
    }

    public function publishRouted(ExchangeMessage $message, float $timeout): bool
    {
        $frame = new PropertiesMessage($message->body, $message->properties->encode());
        $this->call(function (AMQPChannel $c) use ($frame, $message, $timeout): void {
            if (!$this->state->confirming) {
                $c->confirm_select();
                $c->set_return_listener(function (): void {
                    $this->returned = true;
                });
                $this->state->confirming = true;
            }
            $this->returned = false;
            $c->basic_publish($frame, $message->exchange, $message->routingKey, true);
            // RabbitMQ sends basic.return before the basic.ack of an unroutable message.
            $c->wait_for_pending_acks_returns($timeout);
        });
        return !$this->returned;
    }

    public function consume(string $queue): void
    {
        $this->call(fn (AMQPChannel $c) => $c->basic_consume($queue, '', false, true, false, false, function (AMQPMessage $m): void {
            $this->received[] = self::delivered($m);
        }));
    }

    public function generation(): int
    {
        return $this->state->generation;
    }

    public function next(float $deadline): ?Delivered
    {
        while ($this->received === []) {
            $left = $deadline - Clock::now();
            if ($left <= 0.001) {
                return null;
            }
            try {
                $this->call(fn (AMQPChannel $c) => $c->wait(null, false, $left), retry: false);
            } catch (ConnectionFailed $e) {
                // The connection lost: the consumer went with it (generation() tells).
                if ($e->getPrevious() instanceof AMQPTimeoutException || $this->state->reconnecting()) {
                    return null;
                }
                throw $e;
            }
        }
        return array_shift($this->received);
    }

    public function close(): void
    {
        $this->state->close();
    }

    private static function delivered(AMQPMessage $message): Delivered
    {
        $properties = $message->get_properties();
        $headers = $properties['application_headers'] ?? null;
        return new Delivered(
            (string) $message->getExchange(),
            (string) $message->getRoutingKey(),
            $headers instanceof AMQPTable ? $headers->getNativeData() : [],
            $message->getBody(),
            isset($properties['content_type']) ? (string) $properties['content_type'] : null,
        );
    }

    /**
     * @template T
     * @param \Closure(AMQPChannel): T $operation
     * @param bool $missingIsNull a 404 (no such queue) gives null, and a fresh channel
     * @param bool $retry once more on a new connection when the connection was lost
     * @return T|null
     * @throws ConnectionFailed
     */
    private function call(\Closure $operation, bool $missingIsNull = false, bool $retry = true): mixed
    {
        while (true) {
            $connection = $this->state->connection();
            try {
                $this->lib()->channel ??= $connection->channel();
                return $operation($this->lib()->channel);
            } catch (AMQPProtocolChannelException $e) {
                // RabbitMQ closed the channel (404, 406, ...); the connection stays open.
                return $this->state->lost($e, $missingIsNull);
            } catch (AMQPTimeoutException $e) {
                throw ConnectionFailed::atRabbitMq($this->state->server, 'no answer in time.', $e);
            } catch (\Exception $e) {
                // The connection went (node restarted, connection closed by an operator): once
                // on a new one, as kombu's ensure_connection retries an operation.
                if ($this->state->dropped(true) && $retry) {
                    $retry = false;
                    continue;
                }
                throw ConnectionFailed::atRabbitMq($this->state->server, $e->getMessage(), $e);
            }
        }
    }

    private function lib(): LibraryObjects
    {
        return $this->state->lib();
    }
}
