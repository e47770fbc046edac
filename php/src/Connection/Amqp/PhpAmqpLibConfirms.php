<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Message\AMQPMessage;

/**
 * What RabbitMQ answered about the publishes on PhpAmqpLibConnection's channel since the last
 * wait for confirms: the basic.returns (an unroutable mandatory publish, named by its
 * correlation id: a return has no delivery tag) and the basic.nacks (named by the publish's
 * place, never by task id: a batch may carry one id twice, and a nacked one is sent again alone).
 * A trait rather than an object of its own: publish() numbers every message, and a method call
 * per task costs instructions that a property does not.
 *
 * @internal
 */
trait PhpAmqpLibConfirms
{
    /** @var list<string> correlation ids of returned messages since the last wait */
    private array $returned = [];
    /** @var list<int> the places (since the last wait) of the publishes nacked */
    private array $nacked = [];
    /** Publishes since the last wait: each one's place names it to the nack handler. */
    private int $written = 0;

    /**
     * Listens on a new channel: its publishes are numbered from its first, and what the old
     * channel's failed wait left (returns, nacked places) is dropped: it would name the new
     * batch's places and ids.
     */
    private function listen(AMQPChannel $channel): void
    {
        [$this->returned, $this->nacked, $this->written] = [[], [], 0];
        // basic.return (code, text, exchange, routing key, message): an unroutable mandatory publish.
        $channel->set_return_listener(function (mixed ...$returned): void {
            $message = end($returned);
            \assert($message instanceof AMQPMessage);
            $this->returned[] = $message->has('correlation_id') ? (string) $message->get('correlation_id') : '';
        });
        // php-amqplib hands back the message object published: its place names it.
        $channel->set_nack_handler(function (AMQPMessage $message): void {
            \assert($message instanceof PreEncodedMessage);
            $this->nacked[] = $message->place;
        });
    }
}
