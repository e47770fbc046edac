<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Broker\Amqp\Channel;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Wire\Amqp\Pidbox;
use CeleryBridge\Wire\KombuJsonDecoder;
use CeleryBridge\Wire\Uuid;

/**
 * kombu's pidbox on RabbitMQ (see Wire\Amqp\Pidbox): a command is published to the fanout
 * exchange "<control_exchange>.pidbox", which RabbitMQ copies to the exclusive queue of every
 * running worker; a worker that is not running has no queue there and never hears it.
 *
 * Replies come back, as for Celery's app.control, on this client's own reply queue
 * "<oid>.reply.<control_exchange>.pidbox", bound to the direct reply exchange with the oid and
 * consumed without acks: declared on the first ask() and kept (exclusive and auto-delete: RabbitMQ
 * deletes it with its consumer's channel). Each worker answers with
 * headers {ticket, clock} and a body {"<node name>": <reply>}; replies to another ticket (an
 * earlier call's late ones) are skipped.
 *
 * tell() publishes with mandatory and a confirm: RabbitMQ says whether the command reached any
 * worker's queue, not how many, so it returns 1 (at least one worker) or 0 (none).
 *
 * @internal
 */
final class AmqpMailbox implements Mailbox
{
    /** How long tell() waits for RabbitMQ's confirm. */
    private const CONFIRM_TIMEOUT = 5.0;

    /** Lamport clock of this publisher, like the mailbox clock of a fresh Python app. */
    private int $clock = 0;
    /** The Channel::generation() on which the exchange was declared (a restarted node lost it). */
    private ?int $declared = null;
    /** This client's reply routing key (Celery: the app's oid). */
    private readonly string $oid;
    /** The Channel::generation() on which the reply queue is consumed; null: not yet. */
    private ?int $consuming = null;

    public function __construct(
        private readonly Channel $channel,
        private readonly string $controlExchange = 'celery',
    ) {
        $this->oid = Uuid::v4();
    }

    public function exchange(): string
    {
        return Pidbox::exchange($this->controlExchange);
    }

    public function tell(Broadcast $command): int
    {
        // As app.control.broadcast(): expires = now + its default timeout of 1 s.
        return $this->publish($command, microtime(true) + 1.0) ? 1 : 0;
    }

    public function ask(Broadcast $command, float $timeout, int $limit): array
    {
        $deadline = Clock::now() + $timeout;
        $oid = $this->replyQueue();
        $ticket = Uuid::v4();
        $this->publish($command->replyTo($ticket, Pidbox::replyExchange($this->controlExchange), $oid), microtime(true) + $timeout);
        $replies = [];
        while ($limit === 0 || count($replies) < $limit) {
            $delivered = $this->channel->next($deadline);
            if ($delivered === null) {
                break;
            }
            if (($delivered->headers['ticket'] ?? null) !== $ticket) {
                continue;
            }
            try {
                $body = KombuJsonDecoder::decode($delivered->body);
            } catch (\UnexpectedValueException) {
                continue;
            }
            foreach (is_array($body) && !array_is_list($body) ? $body : [] as $node => $answer) {
                $replies[(string) $node] = $answer;
            }
        }
        return $replies;
    }

    /**
     * @return bool whether the command reached at least one worker's queue
     */
    private function publish(Broadcast $command, float $expires): bool
    {
        if ($this->declared !== $this->channel->generation()) {
            // As every worker declares it: fanout, not durable, not auto-delete.
            $this->channel->declareExchange($this->exchange(), 'fanout', false);
            $this->declared = $this->channel->generation();
        }
        $message = Pidbox::command($this->controlExchange, $command->body(), ++$this->clock, $expires);
        return $this->channel->publishRouted($message, self::CONFIRM_TIMEOUT);
    }

    /**
     * Declares, binds and consumes this client's reply queue, once per channel: RabbitMQ deletes
     * it (auto-delete) when a 404 or 406 elsewhere closes the channel its consumer was on.
     * Returns its routing key.
     */
    private function replyQueue(): string
    {
        if ($this->consuming !== null && $this->consuming === $this->channel->generation()) {
            return $this->oid;
        }
        $exchange = Pidbox::replyExchange($this->controlExchange);
        $queue = Pidbox::replyQueue($this->controlExchange, $this->oid);
        $this->channel->declareExchange($exchange, 'direct', false);
        $this->channel->declareOwnQueue($queue, Pidbox::replyQueueArguments());
        $this->channel->bindQueue($queue, $exchange, $this->oid);
        $this->channel->consume($queue);
        $this->consuming = $this->channel->generation();
        return $this->oid;
    }
}
