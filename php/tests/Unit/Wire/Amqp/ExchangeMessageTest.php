<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire\Amqp;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Control\Broadcast;
use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\TaskSentEvent;
use CeleryBridge\Tests\Unit\Wire\Amqp\Fixtures\AmqpCapture;
use CeleryBridge\Wire\Amqp\ExchangeMessage;
use CeleryBridge\Wire\Amqp\Pidbox;
use PHPUnit\Framework\TestCase;

/**
 * Remote control commands and the task-sent event over AMQP, built from what the Redis path
 * builds (Broadcast, TaskSentEvent), against what Celery 5.7 published to RabbitMQ in the
 * captured samples: app.control.revoke(), revoke(terminate=True, signal="SIGKILL"),
 * control.ping() and task_send_sent_event. The properties (flags 0xf800, the header table
 * with its type letters) are compared byte for byte, the exchange and routing key exactly, the
 * body as JSON (Python writes ", " separators, we write none).
 */
final class ExchangeMessageTest extends TestCase
{
    private const REVOKED = '11111111-2222-3333-4444-555555555555';

    /**
     * @return iterable<string, array{string, Broadcast}>
     */
    public static function commands(): iterable
    {
        yield 'revoke' => ['revoke', Broadcast::revoke(self::REVOKED)];
        yield 'revoke_terminate' => ['revoke_terminate', Broadcast::revoke(self::REVOKED, true, 'SIGKILL')];
        yield 'ping_no_worker' => ['ping_no_worker', Broadcast::inspect(
            'ping',
            null,
            'dc1935c7-1e60-455e-803b-206f5fb0d6d5',
            'reply.celery.pidbox',
            'ca1587bf-67c0-34fb-b37f-922a84f42199',
        )];
    }

    /**
     * @dataProvider commands
     */
    public function testACommandIsCelerysMessageOnTheFanoutExchange(string $case, Broadcast $command): void
    {
        $captured = AmqpCapture::publish($case, 0);
        $headers = $captured->properties->headers;

        $built = Pidbox::command('celery', $command->body(), $headers->clock, $headers->expires);
        $mapped = ExchangeMessage::fromEnvelope($command->toEnvelope('celery.pidbox', $headers->clock, $headers->expires, 'tag'));

        foreach ([$built, $mapped] as $message) {
            self::assertSame(bin2hex(self::properties($captured)), bin2hex($message->properties->encode()));
            self::assertSame(['celery.pidbox', ''], [$message->exchange, $message->routingKey]);
            self::assertEquals(self::body($captured), json_decode($message->body));
            self::assertSame(strlen($message->body), unpack('J', substr($message->contentHeader(), 4, 8))[1]);
        }
    }

    public function testACommandWithoutTimeoutSendsExpiresAsTheInteger0(): void
    {
        $message = Pidbox::command('celery', Broadcast::revoke(self::REVOKED)->body(), 3, 0.0);

        // clock I 3, expires I 0 (kombu: `expires = time() + timeout if timeout else 0`).
        self::assertStringContainsString('05636c6f636b4900000003' . '07657870697265734900000000', bin2hex($message->properties->encode()));
    }

    public function testTheTaskSentEventIsCelerysMessageOnTheEventExchange(): void
    {
        $captured = AmqpCapture::publish('task_sent_event', 1);
        $sent = json_decode(AmqpCapture::file('task_sent_event.pub1.body.bin'), true);
        $task = AmqpCapture::publish('task_sent_event', 0)->properties->headers;
        $message = (new MessageBuilder($task->origin, 'oid'))->build(
            new Signature('amqp_tasks.add', [2, 3], [], ['argsrepr' => '(2, 3)', 'ignore_result' => false]),
            $task->id,
            new Delivery('celery'),
            new \DateTimeImmutable(),
            'tag',
        );

        $event = ExchangeMessage::fromEnvelope(
            TaskSentEvent::envelope($message, new Delivery('celery'), $sent['hostname'], 1, $sent['timestamp'], 'celeryev', 'tag'),
        );

        self::assertSame(bin2hex(self::properties($captured)), bin2hex($event->properties->encode()));
        self::assertSame(['celeryev', 'task.sent'], [$event->exchange, $event->routingKey]);
        $fields = json_decode($event->body, true);
        self::assertSame(array_keys($sent), array_keys($fields));
        // Only the process id and the local zone are this process's own.
        unset($sent['pid'], $fields['pid'], $sent['utcoffset'], $fields['utcoffset']);
        self::assertSame($sent, $fields);
    }

    public function testTheReplyQueueIsDeclaredAsKombusPidboxDeclaresIt(): void
    {
        self::assertSame('celery.pidbox', Pidbox::exchange('celery'));
        self::assertSame('reply.celery.pidbox', Pidbox::replyExchange('celery'));
        self::assertSame('oid-1.reply.celery.pidbox', Pidbox::replyQueue('celery', 'oid-1'));
        // The captured queue.declare of ping_no_worker: x-expires I 10000, x-message-ttl I 300000.
        self::assertSame(['x-expires' => 10000, 'x-message-ttl' => 300000], Pidbox::replyQueueArguments());
    }

    public function testSomethingThatIsNotAnEnvelopeIsRefused(): void
    {
        $this->expectException(SerializationFailed::class);

        ExchangeMessage::fromEnvelope('{"body": 1}');
    }

    /** The flags and properties of the captured content header (after class, weight and body size). */
    private static function properties(\stdClass $captured): string
    {
        return substr(AmqpCapture::file($captured->header_file), 12);
    }

    private static function body(\stdClass $captured): mixed
    {
        return json_decode(AmqpCapture::file(str_replace('.header.', '.body.', $captured->header_file)));
    }
}
