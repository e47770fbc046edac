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
    private const NOT_FOUND = 404;

    /** @var list<Delivered> deliveries read while waiting, not yet handed out */
    private array $received = [];
    /** How many channels RabbitMQ has closed on this connection: the next one has no consumer. */
    private int $generation = 0;
    private bool $confirming = false;
    private bool $returned = false;

    /** The library's connection, channel and consumed queue (LibraryObjects: they keep the password). */
    private readonly \SensitiveParameterValue $held;

    public function __construct(AbstractConnection $connection, private readonly string $server)
    {
        $this->held = LibraryObjects::hold($connection);
    }

    public function declareExchange(string $name, string $type, bool $durable): void
    {
        $this->call(fn (AMQPChannel $c) => $c->exchange_declare($name, $type, false, $durable, false));
    }

    public function declareQueue(
        string $name,
        bool $passive,
        bool $durable = true,
        bool $exclusive = false,
        bool $autoDelete = false,
        array $arguments = [],
    ): ?int {
        $ok = $this->call(
            fn (AMQPChannel $c) => $c->queue_declare($name, $passive, $durable, $exclusive, $autoDelete, false, new AMQPTable($arguments)),
            $passive,
        );
        return is_array($ok) ? (int) $ok[1] : null;
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
            if (!$this->confirming) {
                $c->confirm_select();
                $c->set_return_listener(function (): void {
                    $this->returned = true;
                });
                $this->confirming = true;
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
        return $this->generation;
    }

    public function next(float $deadline): ?Delivered
    {
        while ($this->received === []) {
            $left = $deadline - Clock::now();
            if ($left <= 0.001) {
                return null;
            }
            try {
                $this->call(fn (AMQPChannel $c) => $c->wait(null, false, $left));
            } catch (ConnectionFailed $e) {
                if ($e->getPrevious() instanceof AMQPTimeoutException) {
                    return null;
                }
                throw $e;
            }
        }
        return array_shift($this->received);
    }

    public function close(): void
    {
        try {
            $this->lib()->channel?->close();
            $this->lib()->connection->close();
        } catch (\Throwable) {
            // Closing what is already gone: nothing to do.
        }
        $this->lib()->channel = null;
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
     * @return T|null
     * @throws ConnectionFailed
     */
    private function call(\Closure $operation, bool $missingIsNull = false): mixed
    {
        try {
            if ($this->lib()->channel === null) {
                $this->lib()->channel = $this->lib()->connection->channel();
            }
            return $operation($this->lib()->channel);
        } catch (AMQPProtocolChannelException $e) {
            // RabbitMQ closed the channel (404, 406, ...); the connection stays open.
            $this->lib()->channel = null;
            $this->confirming = false;
            $this->generation++;
            if ($missingIsNull && $e->getCode() === self::NOT_FOUND) {
                return null;
            }
            throw ConnectionFailed::atRabbitMq($this->server, $e->getMessage(), $e);
        } catch (AMQPTimeoutException $e) {
            throw ConnectionFailed::atRabbitMq($this->server, 'no answer in time.', $e);
        } catch (\Exception $e) {
            $this->lib()->channel = null;
            $this->confirming = false;
            $this->generation++;
            throw ConnectionFailed::atRabbitMq($this->server, $e->getMessage(), $e);
        }
    }

    private function lib(): LibraryObjects
    {
        return $this->held->getValue();
    }
}
