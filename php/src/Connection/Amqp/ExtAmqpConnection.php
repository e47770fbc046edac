<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Wire\Amqp\ExchangeMessage;

/**
 * AmqpConnection over ext-amqp (php-amqp 1.11, a C extension on rabbitmq-c): faster than
 * php-amqplib, but it encodes the content header itself, from PHP values, with no control over
 * field types:
 *
 *   - every PHP int is a signed 64-bit field (l) where Celery writes I (retries,
 *     replaced_task_nesting, group_index, time limits, x-max-priority);
 *   - an empty map cannot be a table: Celery's empty `stamps` table F{} goes out as an empty
 *     array A[] (a non-empty map is a table);
 *   - a float is d, as Celery's; a Decimal (D) goes out as a float (d), a date (T) as its unix
 *     time (l).
 *
 * TLS: see ExtAmqpCredentials (a CA file is needed; the certificate is checked against the URL's host).
 *
 * Celery's workers read all of these alike (py-amqp decodes every integer width, and kombu
 * reads the empty stamps as empty either way): the messages run the same, but they are not
 * Celery's bytes. Use php-amqplib (amqp_client 'php-amqplib', auto's first choice) for
 * byte-identical messages. ext-amqp's own defaults are not Celery's either (auto-delete
 * queues, non-durable exchanges, content_type text/plain): every flag and property is set here.
 *
 * Confirms: ext-amqp numbers a confirm channel's publishes as the broker does (delivery tags 1,
 * 2, ...): acks and nacks are matched to publishes by place, never by task id (a batch may carry
 * one id twice); a basic.return, which has no delivery tag, by its correlation id.
 *
 * @internal
 */
final class ExtAmqpConnection implements AmqpConnection
{
    use NodeBookkeeping;

    /**
     * ext-amqp's connection and channel, kept wrapped: its connection object keeps the
     * password, and var_dump(), print_r(), var_export() and traces must never show it.
     */
    private readonly \SensitiveParameterValue $held;
    /** The delivery tag of the channel's last publish (confirm mode numbers them from 1). */
    private int $tag = 0;
    /** @var array<int, int> delivery tag => place since the last wait of the publishes not yet confirmed */
    private array $pending = [];
    /** Publishes since the last wait. */
    private int $written = 0;
    /** @var list<string> correlation ids returned since the last wait (a new channel drops a failed wait's) */
    private array $returned = [];
    /** @var list<int> places nacked since the last wait (a new channel drops a failed wait's: they name its batch) */
    private array $nacked = [];

    /**
     * @param list<AmqpUrl> $nodes
     * @param \AMQPConnection|null $injected a connected client given by the user (no failover)
     */
    public function __construct(
        array $nodes,
        private readonly AmqpSettings $settings,
        ?\AMQPConnection $injected = null,
    ) {
        $this->keepNodes($nodes, $settings->shuffle, $injected !== null);
        $this->held = LibraryObjects::hold($injected);
    }

    public function open(): void
    {
        $this->closeIfHeartbeatMissed($this->settings);
        $channel = $this->lib()->channel;
        if ($channel !== null && $channel->isConnected()) {
            if (!$this->idle->wasIdle(IdleConnection::CHECK_AFTER) || !IdleConnection::extAmqpClosed($channel)) {
                return;
            }
            // Closed while the client sat idle (IdleConnection): a new channel, and when the
            // connection went, as in PhpAmqpLibConnection, a new one on the next URL of the list.
            if (!$this->lib()->connection?->isConnected()) {
                $this->close();
                $this->nodes->next();
            }
        }
        try {
            if ($this->lib()->connection === null || !$this->lib()->connection->isConnected()) {
                $url = $this->nodes->current() ?? throw ConnectionLost::atRabbitMq('RabbitMQ', 'the injected connection is closed.');
                $this->lib()->connection = $this->connect($url);
                $this->generation++;
            }
            $this->lib()->channel = $channel = new \AMQPChannel($this->lib()->connection);
            [$this->tag, $this->pending, $this->written, $this->returned, $this->nacked] = [0, [], 0, [], []];
            if ($this->settings->confirm) {
                $channel->confirmSelect();
                $channel->setConfirmCallback($this->confirmed(...), $this->refused(...));
            }
            // Without confirms nothing waits for a returned message: dropped, as kombu drops it
            // without on_return, when the idle check reads it (not ext-amqp's E_NOTICE).
            $channel->setReturnCallback($this->settings->confirm ? $this->returnedMessage(...) : static fn (): bool => true);
            $this->idle->used();
        } catch (ConnectionFailed | InvalidConfiguration $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw $this->lost('cannot connect', $e);
        }
    }

    public function declareExchange(string $name, string $type, bool $durable, bool $passive): void
    {
        $this->call(function () use ($name, $type, $durable, $passive): void {
            $exchange = new \AMQPExchange($this->channel());
            $exchange->setName($name);
            $exchange->setType($type);
            // setFlags() replaces ext-amqp's defaults (not durable).
            $exchange->setFlags(($durable ? AMQP_DURABLE : 0) | ($passive ? AMQP_PASSIVE : 0));
            $exchange->declareExchange();
        });
    }

    public function declareQueue(string $name, bool $durable, array $arguments, bool $passive): void
    {
        $this->call(function () use ($name, $durable, $arguments, $passive): void {
            $queue = new \AMQPQueue($this->channel());
            $queue->setName($name);
            // Replaces ext-amqp's default AMQP_AUTODELETE: Celery's queues are not auto-delete.
            $queue->setFlags(($durable ? AMQP_DURABLE : 0) | ($passive ? AMQP_PASSIVE : 0));
            $queue->setArguments($arguments);
            $queue->declareQueue();
        });
    }

    public function bindQueue(string $queue, string $exchange, string $routingKey): void
    {
        $this->call(function () use ($queue, $exchange, $routingKey): void {
            $bound = new \AMQPQueue($this->channel());
            $bound->setName($queue);
            $bound->bind($exchange, $routingKey);
        });
    }

    public function publish(ExchangeMessage $message, string $encoded, bool $mandatory): void
    {
        $attributes = ExtAmqpAttributes::of($message->properties);
        $this->call(function () use ($message, $mandatory, $attributes): void {
            $target = new \AMQPExchange($this->channel());
            $target->setName($message->exchange);
            $target->publish($message->body, $message->routingKey, $mandatory ? AMQP_MANDATORY : AMQP_NOPARAM, $attributes);
            if ($this->settings->confirm) {
                $this->pending[++$this->tag] = $this->written++;
            }
        });
    }

    public function waitForConfirms(float $timeout): array
    {
        if ($this->settings->confirm && $this->pending !== []) {
            $this->call(fn () => $this->channel()->waitForConfirm($timeout));
            if ($this->pending !== []) {
                // A late ack would come on this channel, matched to a later batch: a new one.
                $this->dropChannel();
                throw ConnectionLost::atRabbitMq($this->server(), sprintf(
                    'no confirm for %d publish(es) within %s s: whether they reached the broker is unknown.',
                    count($this->pending),
                    $timeout,
                ));
            }
        }
        $outcome = [$this->returned, $this->nacked];
        if ($this->nacked !== []) {
            // As PhpAmqpLibConnection::dropChannel(): a channel that got a nack may be tied to a
            // dead quorum queue leader; the next open() makes a new one.
            $this->dropChannel();
        }
        [$this->returned, $this->nacked, $this->written] = [[], [], 0];
        // Idle from the last frame read on (see IdleConnection).
        $this->idle->used();
        return $outcome;
    }

    private function dropChannel(): void
    {
        try {
            $this->lib()->channel?->close();
        } catch (\Throwable) {
            // The connection is checked on the next open().
        }
        [$this->lib()->channel, $this->pending] = [null, []];
    }

    public function close(): void
    {
        try {
            $this->lib()->connection?->disconnect();
        } catch (\Throwable) {
            // Already gone: nothing to release.
        }
        [$this->lib()->connection, $this->lib()->channel, $this->pending] = [null, null, []];
    }

    /** basic.return: an unroutable mandatory publish; its basic.ack follows: keep waiting for it. */
    private function returnedMessage(int $code, string $text, string $exchange, string $routingKey, \AMQPBasicProperties $properties): bool
    {
        $this->returned[] = $properties->getCorrelationId();
        return true;
    }

    /**
     * basic.ack: the publishes up to $tag ($multiple) or that one are confirmed; returns whether
     * to keep waiting (some are still pending).
     */
    private function confirmed(int $tag, bool $multiple): bool
    {
        $this->settle($tag, $multiple);
        return $this->pending !== [];
    }

    /** basic.nack: the broker did not take those messages. */
    private function refused(int $tag, bool $multiple, bool $requeue): bool
    {
        foreach ($this->settle($tag, $multiple) as $place) {
            $this->nacked[] = $place;
        }
        return $this->pending !== [];
    }

    /**
     * @return list<int> the places (since the last wait) of the publishes settled
     */
    private function settle(int $tag, bool $multiple): array
    {
        if (!$multiple) {
            $settled = isset($this->pending[$tag]) ? [$this->pending[$tag]] : [];
            unset($this->pending[$tag]);
            return $settled;
        }
        // The pending tags are in publish order: the ones up to $tag are a prefix (one pass,
        // not one over every pending publish per ack: a sendMany() chunk gets many acks).
        $settled = [];
        foreach ($this->pending as $pending => $place) {
            if ($pending > $tag) {
                break;
            }
            $settled[] = $place;
            unset($this->pending[$pending]);
        }
        return $settled;
    }

    private function channel(): \AMQPChannel
    {
        if ($this->lib()->channel === null) {
            $this->open();
        }
        \assert($this->lib()->channel !== null);
        return $this->lib()->channel;
    }

    private function connect(AmqpUrl $url): \AMQPConnection
    {
        return ExtAmqpCredentials::connect($url, $this->settings, max($this->settings->readTimeout, $this->settings->confirmTimeout));
    }

    /**
     * Runs a library call: a channel closed by the broker becomes ChannelClosed (the connection
     * stays), anything else a lost connection (the next call connects to the next node).
     */
    private function call(\Closure $call): mixed
    {
        try {
            return $call();
        } catch (\AMQPException $e) {
            $code = (int) $e->getCode();
            if (in_array($code, [ChannelClosed::NOT_FOUND, ChannelClosed::PRECONDITION_FAILED, 403, 405], true)) {
                [$this->lib()->channel, $this->pending] = [null, []];
                // "Server channel error: 404, message: NOT_FOUND - no exchange 'x' in vhost '/'"
                $text = preg_match('/message: (.*)$/s', $e->getMessage(), $m) === 1 ? $m[1] : $e->getMessage();
                throw new ChannelClosed($code, $text, $e);
            }
            throw $this->lost('the connection failed', $e);
        } catch (ConnectionFailed $e) {
            throw $e;
        }
    }

    private function lost(string $what, \Throwable $e): ConnectionFailed
    {
        $server = $this->server();
        $url = $this->nodes->current();
        $this->close();
        $this->nodes->next();
        $handshake = $what === 'cannot connect' && $url !== null && ExtAmqpCredentials::handshakeFailed($url, $this->settings, $e);
        return AmqpFailure::of($what, $server, $e, $handshake);
    }

    private function lib(): LibraryObjects
    {
        return $this->held->getValue();
    }
}
