<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Fixtures;

use CeleryBridge\Connection\Amqp\AmqpConnection;
use CeleryBridge\Connection\Amqp\ChannelClosed;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Wire\Amqp\ExchangeMessage;

/**
 * An AmqpConnection that writes down what it is asked.
 */
final class RecordingAmqpConnection implements AmqpConnection
{
    /** @var list<string> */
    public array $calls = [];
    public int $generation = 1;
    public int $failOpen = 0;
    public bool $failWait = false;
    public ?ChannelClosed $refuseQueue = null;
    /** @var list<string> returned by every wait */
    public array $returned = [];
    /** @var list<string> returned by the next wait only */
    public array $returnedOnce = [];
    /** Thrown by the next wait (a channel the broker closed: 404 for a missing exchange). */
    public ?ChannelClosed $closeOnWait = null;

    public function server(): string
    {
        return '127.0.0.1:5672';
    }

    public function open(): void
    {
        $this->calls[] = 'open';
        if ($this->failOpen-- > 0) {
            throw ConnectionRefused::atRabbitMq('127.0.0.1:5672', 'refused');
        }
    }

    public function generation(): int
    {
        return $this->generation;
    }

    public function declareExchange(string $name, string $type, bool $durable, bool $passive): void
    {
        $this->calls[] = trim(sprintf('exchange %s %s %s %s', $name, $type, $durable ? 'durable' : '', $passive ? 'passive' : ''));
    }

    public function declareQueue(string $name, bool $durable, array $arguments, bool $passive): void
    {
        if ($this->refuseQueue !== null) {
            throw $this->refuseQueue;
        }
        $this->calls[] = sprintf('queue %s %s', $name, json_encode((object) $arguments));
    }

    public function bindQueue(string $queue, string $exchange, string $routingKey): void
    {
        $this->calls[] = sprintf('bind %s %s %s', $queue, $exchange, $routingKey);
    }

    public function publish(ExchangeMessage $message, string $encoded, bool $mandatory): void
    {
        \assert($mandatory && $encoded === $message->properties->encode());
        $exchange = $message->exchange === '' ? '""' : $message->exchange;
        $this->calls[] = sprintf('publish %s %s %s', $exchange, $message->routingKey, $message->properties->correlationId);
    }

    public function waitForConfirms(float $timeout): array
    {
        $this->calls[] = 'wait';
        if ($this->failWait) {
            throw ConnectionRefused::atRabbitMq('127.0.0.1:5672', 'connection lost');
        }
        if ($this->closeOnWait !== null) {
            [$closed, $this->closeOnWait] = [$this->closeOnWait, null];
            throw $closed;
        }
        [$once, $this->returnedOnce] = [$this->returnedOnce, []];
        return [[...$this->returned, ...$once], []];
    }

    public function close(): void
    {
        $this->calls[] = 'close';
    }
}
