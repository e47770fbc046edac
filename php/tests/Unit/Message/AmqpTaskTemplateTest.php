<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message;

use CeleryBridge\Broker\Amqp\AmqpTopology;
use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\ExtAmqpAttributes;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Message\AmqpTaskTemplate;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Publish\AmqpPublish;
use CeleryBridge\Publish\AmqpTransport;
use CeleryBridge\Publish\PlainMessage;
use CeleryBridge\Tests\Unit\Connection\Fixtures\RecordingAmqpConnection;
use CeleryBridge\Tests\Unit\Message\Fixtures\RandomPlainCall;
use CeleryBridge\Wire\BodyEncoder;
use PHPUnit\Framework\TestCase;

/**
 * The AMQP template path must publish exactly what the general path publishes for the same call
 * (MessageBuilder's message through AmqpTransport::queue(): AmqpTaskMessage, Wire\Amqp's
 * encoding, which AmqpTaskMessageTest holds to Celery's captured bytes): the same content header
 * bytes (so the same AMQP field types php-amqplib sends), the same body, exchange and routing
 * key, and the same properties ext-amqp is given; and hand everything else back.
 */
final class AmqpTaskTemplateTest extends TestCase
{
    private const ORIGIN = 'gen42@host/é';
    private const REPLY_TO = '4a6f9d3b-1f0c-4a9d-8e71-0b7e3f3c52ac';
    private const IDS = ['0b7e3f3c-52ac-4a6f-9d3b-1f0c2a9d8e71', 'ffffffff-ffff-4fff-bfff-ffffffffffff'];

    /**
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @param array<string, mixed> $amqpConfig
     */
    private static function assertSameAsGeneralPath(
        string $task,
        string $id,
        array $args,
        array $kwargs,
        Delivery $delivery,
        array $amqpConfig = [],
        array $topology = [],
        string $origin = self::ORIGIN,
        string $replyTo = self::REPLY_TO,
    ): void {
        $settings = AmqpSettings::fromConfig($amqpConfig);
        $transport = new AmqpTransport(
            new RecordingAmqpConnection(),
            $settings,
            AmqpTopology::fromConfig($topology, 'celery'),
            new RetryPolicy(true, 3, 0.0, 0.0, 0.0),
            null,
        );
        $general = new PublishChunk();
        $message = (new MessageBuilder($origin, $replyTo, 2, new BodyEncoder()))
            ->build(new Signature($task, $args, $kwargs), $id, $delivery, new \DateTimeImmutable(), 'tag');
        $transport->queue($general, $message, $delivery);

        $template = AmqpTaskTemplate::forClient($origin, $replyTo, 2, 'json', null, $settings->deliveryMode);
        self::assertNotNull($template);
        $amqp = $template->message($task, $id, $args, $kwargs, $delivery);
        self::assertNotNull($amqp, 'a plain call takes the template path');
        $plain = new PublishChunk();
        // Twice: the second takes the transport's remembered target.
        $transport->queuePlain($plain, new PlainMessage($id, '', '', $delivery->queue, $delivery->priority, $amqp));
        $transport->queuePlain($plain, new PlainMessage($id, '', '', $delivery->queue, $delivery->priority, $amqp));
        self::assertEquals($plain->publishes[0], $plain->publishes[1]);

        [$expected, $got] = [$general->publishes[0], $plain->publishes[0]];
        self::assertInstanceOf(AmqpPublish::class, $got);
        self::assertSame(bin2hex($expected->properties), bin2hex($got->properties), 'content header properties');
        self::assertSame($expected->message->body, $got->message->body);
        self::assertSame($expected->message->exchange, $got->message->exchange);
        self::assertSame($expected->message->routingKey, $got->message->routingKey);
        self::assertSame($expected->message->contentHeader(), $got->message->contentHeader());
        self::assertEquals($expected->message->properties, $got->message->properties);
        self::assertSame(
            var_export(ExtAmqpAttributes::of($expected->message->properties), true),
            var_export(ExtAmqpAttributes::of($got->message->properties), true),
            'what ext-amqp is given, types included',
        );
        self::assertSame($expected->taskId, $got->taskId);
        self::assertEquals($expected->declare, $got->declare);
        self::assertSame($expected->requireExchange, $got->requireExchange);
    }

    /**
     * @dataProvider plainCalls
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     */
    public function testSameBytesAsTheGeneralPath(array $args, array $kwargs): void
    {
        self::assertSameAsGeneralPath('tasks.add', self::IDS[0], $args, $kwargs, new Delivery('celery'));
        self::assertSameAsGeneralPath('proj.tâches/ünïcode', self::IDS[1], $args, $kwargs, new Delivery('q/ü "x"', 7));
    }

    /**
     * @return iterable<string, array{list<mixed>, array<string, mixed>}>
     */
    public static function plainCalls(): iterable
    {
        yield from PlainTaskEncoderTest::plainCalls();
        yield 'a repr over saferepr\'s cut' => [[str_repeat('é', 2000)], ['k' => str_repeat('x', 5000)]];
        yield 'long strings (table values over 64 KiB)' => [[str_repeat('a', 70000)], ['b' => str_repeat('b', 70000)]];
    }

    public function testEveryPriorityAndDeliveryModeAndQueueType(): void
    {
        foreach ([0, 1, 9, 255] as $priority) {
            self::assertSameAsGeneralPath('tasks.add', self::IDS[0], [1, 2], [], new Delivery('celery', $priority));
            self::assertSameAsGeneralPath('tasks.add', self::IDS[0], [1, 2], ['x' => 'y'], new Delivery('celery', $priority), [
                'task_default_delivery_mode' => 'transient',
            ]);
        }
        $celery = new Delivery('celery');
        self::assertSameAsGeneralPath('tasks.add', self::IDS[1], [], [], $celery, [], ['task_default_queue_type' => 'quorum']);
        self::assertSameAsGeneralPath('tasks.add', self::IDS[1], [3], [], $celery, [], ['task_default_exchange_type' => 'topic']);
        self::assertSameAsGeneralPath('tasks.add', self::IDS[1], [3], [], new Delivery('other', 2), [], ['task_queue_max_priority' => 10]);
    }

    public function testAPriorityOnAQuorumQueueIsRefusedOnEveryCall(): void
    {
        $transport = new AmqpTransport(
            new RecordingAmqpConnection(),
            new AmqpSettings(),
            AmqpTopology::fromConfig(['task_default_queue_type' => 'quorum'], 'celery'),
            new RetryPolicy(true, 3, 0.0, 0.0, 0.0),
            null,
        );
        $template = AmqpTaskTemplate::forClient(self::ORIGIN, self::REPLY_TO, 2, 'json', null, 2);
        self::assertNotNull($template);
        $amqp = $template->message('tasks.add', self::IDS[0], [1], [], new Delivery('celery', 5));
        self::assertNotNull($amqp);
        for ($call = 0; $call < 2; $call++) {
            try {
                $transport->queuePlain(new PublishChunk(), new PlainMessage(self::IDS[0], '', '', 'celery', 5, $amqp));
                self::fail('no exception');
            } catch (InvalidOption $e) {
                self::assertStringContainsString('quorum', $e->getMessage());
            }
        }
    }

    public function testNamesAndIdsOfEveryLength(): void
    {
        foreach (['t', str_repeat('n', 255), str_repeat('ü', 300)] as $task) {
            self::assertSameAsGeneralPath($task, self::IDS[0], [1], [], new Delivery('celery'));
        }
        self::assertSameAsGeneralPath('tasks.add', 'custom-id', [1], [], new Delivery('celery'));
    }

    public function testClientsOfOneProcessEachWriteTheirOwnOriginAndReplyTo(): void
    {
        // The template is shared by the clients of a process; origin and reply_to are slots.
        foreach (['gen1@a', 'gen' . str_repeat('9', 300) . '@' . str_repeat('h', 200), ''] as $i => $origin) {
            $replyTo = ['r', str_repeat('x', 255), self::REPLY_TO][$i];
            self::assertSameAsGeneralPath('tasks.add', self::IDS[0], [1, 2], [], new Delivery('celery', 3), [], [], $origin, $replyTo);
            self::assertSameAsGeneralPath('tasks.add', self::IDS[1], [], ['a' => 1], new Delivery('celery'), [], [], $origin, $replyTo);
        }
    }

    public function testADumpOfATemplateInUseIsText(): void
    {
        // A client's dump (print_r, var_export: what users log, and what tests search for
        // passwords) holds no bytes of the binary template.
        $template = AmqpTaskTemplate::forClient(self::ORIGIN, self::REPLY_TO, 2, 'json', null, 2);
        self::assertNotNull($template);
        $template->message('tasks.add', self::IDS[0], [1, 2], [], new Delivery('celery'));

        self::assertTrue(mb_check_encoding(print_r($template, true) . var_export($template, true), 'UTF-8'));
    }

    public function testRandomPlainDataGivesTheSameBytes(): void
    {
        mt_srand(20261205);
        $calls = new RandomPlainCall(wide: true);
        for ($i = 0; $i < 200; $i++) {
            [$args, $kwargs] = $calls->next();
            self::assertSameAsGeneralPath('tasks.t' . $i, self::IDS[$i % 2], $args, $kwargs, new Delivery('q' . ($i % 3), $i % 10));
        }
    }

    /**
     * @dataProvider generalCalls
     * @param array<mixed> $args
     * @param array<mixed> $kwargs
     */
    public function testEverythingElseTakesTheGeneralPath(array $args, array $kwargs): void
    {
        $template = AmqpTaskTemplate::forClient(self::ORIGIN, self::REPLY_TO, 2, 'json', null, 2);
        self::assertNotNull($template);

        self::assertNull($template->message('tasks.add', self::IDS[0], $args, $kwargs, new Delivery('celery')));
    }

    /**
     * @return iterable<string, array{mixed, mixed}>
     */
    public static function generalCalls(): iterable
    {
        yield from PlainTaskEncoderTest::generalCalls();
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testAnAmqpClientSendsATaskWithoutOptionsWithoutTheMessageBuilder(): void
    {
        $connection = new RecordingAmqpConnection();
        $celery = new CeleryClient(broker: $connection);

        $one = $celery->sendTask('tasks.add', [1, 2]);
        $many = $celery->sendMany([new Signature('tasks.add', [3]), new Signature('tasks.add', [], ['k' => 'v'])]);

        self::assertFalse(class_exists(MessageBuilder::class, false), 'the general path was taken');
        $ids = [$one->id, ...array_map(static fn ($r) => $r->id, $many)];
        // (The declares around them are AmqpTransportTest's.)
        self::assertSame([
            'publish "" celery ' . $ids[0], 'wait',
            'publish "" celery ' . $ids[1], 'publish "" celery ' . $ids[2], 'wait',
        ], array_values(array_filter(
            $connection->calls,
            static fn (string $c): bool => str_starts_with($c, 'publish') || $c === 'wait',
        )));
    }

    public function testANamedExchangeAndOtherMessageShapesTakeTheGeneralPath(): void
    {
        $template = AmqpTaskTemplate::forClient(self::ORIGIN, self::REPLY_TO, 2, 'json', null, 2);
        self::assertNotNull($template);
        self::assertNull($template->message('tasks.add', self::IDS[0], [1], [], new Delivery('celery', 0, 'media', 'images')));

        self::assertNull(AmqpTaskTemplate::forClient(self::ORIGIN, self::REPLY_TO, 1, 'json', null, 2));
        self::assertNull(AmqpTaskTemplate::forClient(self::ORIGIN, self::REPLY_TO, 2, 'msgpack', null, 2));
        self::assertNull(AmqpTaskTemplate::forClient(self::ORIGIN, self::REPLY_TO, 2, 'json', 'zlib', 2));
    }
}
