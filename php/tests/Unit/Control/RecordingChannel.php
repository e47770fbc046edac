<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Control;

use CeleryBridge\Broker\Amqp\Channel;
use CeleryBridge\Broker\Amqp\Delivered;
use CeleryBridge\Wire\Amqp\ExchangeMessage;

/**
 * A Channel that records calls; next() hands out what $answer makes of the last command.
 */
final class RecordingChannel implements Channel
{
    /** @var list<list<mixed>> */
    public array $calls = [];
    /** @var list<ExchangeMessage> */
    public array $published = [];
    public int $lost = 0;
    /** @var (\Closure(array<string, mixed>): list<Delivered>)|null */
    public ?\Closure $answer = null;
    /** @var list<Delivered> */
    private array $queue = [];

    public function __construct(private readonly bool $routed)
    {
    }

    public function declareExchange(string $name, string $type, bool $durable): void
    {
        $this->calls[] = ['declareExchange', $name, $type, $durable];
    }

    public function messageCount(string $name): ?int
    {
        $this->calls[] = ['messageCount', $name];
        return 0;
    }

    public function declareOwnQueue(string $name, array $arguments): void
    {
        $this->calls[] = ['declareOwnQueue', $name, $arguments];
    }

    public function bindQueue(string $queue, string $exchange, string $routingKey): void
    {
        $this->calls[] = ['bindQueue', $queue, $exchange, $routingKey];
    }

    public function purgeQueue(string $name): ?int
    {
        return 0;
    }

    public function deleteQueue(string $name): void
    {
    }

    public function publish(ExchangeMessage $message): void
    {
        $this->published[] = $message;
    }

    public function publishRouted(ExchangeMessage $message, float $timeout): bool
    {
        $this->published[] = $message;
        if ($this->answer !== null) {
            $this->queue = ($this->answer)(json_decode($message->body, true));
        }
        return $this->routed;
    }

    public function consume(string $queue): void
    {
        $this->calls[] = ['consume', $queue];
    }

    public function generation(): int
    {
        return $this->lost;
    }

    public function next(float $deadline): ?Delivered
    {
        // Nothing more came: as a real channel at the deadline.
        return array_shift($this->queue);
    }

    public function close(): void
    {
    }
}
