<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Control;

use CeleryBridge\Broker\Amqp\Delivered;
use CeleryBridge\Control\AmqpMailbox;
use CeleryBridge\Control\Broadcast;
use CeleryBridge\Control\WorkerControl;
use PHPUnit\Framework\TestCase;

/**
 * The pidbox on RabbitMQ without a broker: what AmqpMailbox declares, publishes and reads on a
 * Channel (a recording one here; tests/over_amqp/test_amqp_control.py runs it against a real
 * worker).
 */
final class AmqpMailboxTest extends TestCase
{
    public function testACommandGoesToTheFanoutExchangeDeclaredAsWorkersDeclareIt(): void
    {
        $channel = self::channel(routed: false);

        $heard = (new WorkerControl(new AmqpMailbox($channel)))->revoke('id-1');

        self::assertSame(0, $heard);
        self::assertSame([['declareExchange', 'celery.pidbox', 'fanout', false]], $channel->calls);
        [$message] = $channel->published;
        self::assertSame(['celery.pidbox', ''], [$message->exchange, $message->routingKey]);
        self::assertSame(2, $message->properties->deliveryMode);
        self::assertSame(['clock', 'expires'], array_keys((array) $message->properties->headers));
        self::assertSame('revoke', json_decode($message->body, true)['method']);
    }

    public function testRepliesAreCollectedFromTheOwnReplyQueueByTicket(): void
    {
        $channel = self::channel(routed: true);
        $channel->answer = static fn (array $body): array => [
            new Delivered('reply.celery.pidbox', 'x', ['ticket' => 'another call', 'clock' => 1], '{"old@h": 1}', 'application/json'),
            new Delivered('reply.celery.pidbox', 'x', ['ticket' => $body['ticket'], 'clock' => 2], '{"w1@h": {"ok": "pong"}}', null),
            new Delivered('reply.celery.pidbox', 'x', ['ticket' => $body['ticket'], 'clock' => 3], '{"w2@h": {"ok": "pong"}}', null),
        ];

        $replies = (new WorkerControl(new AmqpMailbox($channel)))->ping(timeout: 5.0, destination: ['w1@h', 'w2@h']);

        self::assertSame(['w1@h' => ['ok' => 'pong'], 'w2@h' => ['ok' => 'pong']], $replies);
        [$exchange, $queue, $bind, $consume] = array_slice($channel->calls, 0, 4);
        self::assertSame(['declareExchange', 'reply.celery.pidbox', 'direct', false], $exchange);
        $oid = $bind[3];
        // A queue of its own (exclusive, auto-delete, not durable), Celery's x-expires / x-message-ttl.
        self::assertSame(['declareOwnQueue', "$oid.reply.celery.pidbox", [
            'x-expires' => 10000, 'x-message-ttl' => 300000,
        ]], $queue);
        self::assertSame(['bindQueue', "$oid.reply.celery.pidbox", 'reply.celery.pidbox', $oid], $bind);
        self::assertSame(['consume', "$oid.reply.celery.pidbox"], $consume);
        $body = json_decode($channel->published[0]->body, true);
        self::assertSame(['exchange' => 'reply.celery.pidbox', 'routing_key' => $oid], $body['reply_to']);
    }

    public function testTheReplyQueueIsSetUpAgainOnlyAfterTheChannelWasLost(): void
    {
        $channel = self::channel(routed: true);
        $control = new WorkerControl(new AmqpMailbox($channel));

        $control->ping(timeout: 0.01);
        $control->ping(timeout: 0.01);
        $channel->lost++;
        $control->ping(timeout: 0.01);

        $consumes = array_filter($channel->calls, static fn (array $c): bool => $c[0] === 'consume');
        self::assertCount(2, $consumes);
    }

    private static function channel(bool $routed): RecordingChannel
    {
        return new RecordingChannel($routed);
    }
}
