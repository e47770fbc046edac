<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Publish;

use CeleryBridge\Broker\Amqp\AmqpTopology;
use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\ChannelClosed;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\PublishOutcomeUnknown;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Exception\TopologyMismatch;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\TaskMessage;
use CeleryBridge\Publish\AmqpTransport;
use CeleryBridge\Tests\Unit\Connection\Fixtures\RecordingAmqpConnection as RecordingConnection;
use PHPUnit\Framework\TestCase;

/**
 * What AmqpTransport asks of the connection, in order (the calls a real RabbitMQ sees are in
 * tests/over_amqp): a lone publish first and its declares only when RabbitMQ says the route is
 * missing, a batch's declares once per connection, publishes back to back, one confirm wait, and
 * the failure contract (before the publish: retried and "not queued"; after: unknown).
 */
final class AmqpTransportTest extends TestCase
{
    public function testAQueueIsDeclaredOncePerConnectionAsTheWorkersDeclareIt(): void
    {
        $connection = new RecordingConnection();
        $transport = $this->transport($connection, ['task_queue_max_priority' => 10]);

        $transport->publish($this->chunk($transport, 'a', 'b'));
        $transport->publish($this->chunk($transport, 'c'));
        $connection->generation++;
        $transport->publish($this->chunk($transport, 'd'));

        self::assertSame([
            'open',
            'exchange celery direct durable',
            'queue celery {"x-max-priority":10}',
            'bind celery celery celery',
            'publish "" celery a', 'publish "" celery b', 'wait',
            'open', 'publish "" celery c', 'wait',
            // A new connection: a lone publish still goes first (the queue exists: routed).
            'open', 'publish "" celery d', 'wait',
            // A batch on it declares nothing either: the publish of d was routed to the queue.
            'open', 'publish "" celery e', 'publish "" celery f', 'wait',
        ], [...$connection->calls, ...$this->sent($transport, $connection, 'e', 'f')]);
    }

    public function testALonePublishDeclaresNothingWhenRabbitMqRoutesIt(): void
    {
        $connection = new RecordingConnection();
        $transport = $this->transport($connection, ['task_queue_max_priority' => 10]);

        $transport->publish($this->chunk($transport, 'a'));

        self::assertSame(['open', 'publish "" celery a', 'wait'], $connection->calls);
    }

    public function testALonePublishRabbitMqReturnedIsDeclaredForThenSentOnceMore(): void
    {
        $connection = new RecordingConnection();
        $connection->returnedOnce = ['a'];
        $transport = $this->transport($connection, ['task_queue_max_priority' => 10]);

        $transport->publish($this->chunk($transport, 'a'));

        self::assertSame([
            'open', 'publish "" celery a', 'wait',
            'open',
            'exchange celery direct durable',
            'queue celery {"x-max-priority":10}',
            'bind celery celery celery',
            'publish "" celery a', 'wait',
        ], $connection->calls);
    }

    public function testAMissingExchangeOfALonePublishIsDeclaredThenSentOnceMore(): void
    {
        $connection = new RecordingConnection();
        $connection->closeOnWait = new ChannelClosed(404, "NOT_FOUND - no exchange 'celery' in vhost '/'");
        $transport = $this->transport($connection, ['task_default_exchange_type' => 'topic']);

        $transport->publish($this->chunk($transport, 'a'));

        self::assertSame([
            'open', 'publish celery celery a', 'wait',
            'open', 'exchange celery topic durable', 'queue celery {}', 'bind celery celery celery',
            'publish celery celery a', 'wait',
        ], $connection->calls);
    }

    public function testAlwaysDeclaresFirstAsCeleryAndSoDoesAClientWithoutConfirms(): void
    {
        foreach ([['amqp_declare' => 'always'], ['broker_transport_options' => ['confirm_publish' => false]]] as $config) {
            $connection = new RecordingConnection();
            $transport = $this->transportWith($connection, $config);

            $transport->publish($this->chunk($transport, 'a'));

            self::assertSame(
                ['open', 'exchange celery direct durable', 'queue celery {}', 'bind celery celery celery', 'publish "" celery a', 'wait'],
                $connection->calls,
            );
        }
    }

    public function testPassiveChecksOnlyAfterAReturnAndNeverPublishesAgainWithoutTheQueue(): void
    {
        $connection = new RecordingConnection();
        $connection->returnedOnce = ['a'];
        $connection->refuseQueue = new ChannelClosed(404, "NOT_FOUND - no queue 'celery' in vhost '/'");
        $transport = $this->transportWith($connection, ['amqp_declare' => 'passive']);

        try {
            $transport->publish($this->chunk($transport, 'a'));
            self::fail('no exception');
        } catch (RoutingFailed $e) {
            self::assertStringContainsString('no queue "celery"', $e->getMessage());
        }
        self::assertSame(['open', 'publish "" celery a', 'wait', 'open', 'exchange celery direct durable passive'], $connection->calls);
    }

    public function testALonePublishReturnedTwiceIsRoutingFailedAfterOneDeclare(): void
    {
        $connection = new RecordingConnection();
        $connection->returned = ['a'];
        $transport = $this->transport($connection);

        try {
            $transport->publish($this->chunk($transport, 'a'));
            self::fail('no exception');
        } catch (RoutingFailed $e) {
            self::assertStringContainsString('"a"', $e->getMessage());
        }
        self::assertSame(2, count(array_keys($connection->calls, 'publish "" celery a', true)));
        self::assertSame(1, count(array_keys($connection->calls, 'queue celery {}', true)));
    }

    public function testATopicQueueIsPublishedToThroughItsExchange(): void
    {
        $connection = new RecordingConnection();
        $transport = $this->transport($connection, ['task_default_exchange_type' => 'topic']);

        $transport->publish($this->chunk($transport, 'a', 'b'));

        self::assertContains('exchange celery topic durable', $connection->calls);
        self::assertContains('publish celery celery a', $connection->calls);
    }

    public function testAFailureBeforeThePublishIsRetriedThenNotQueued(): void
    {
        $connection = new RecordingConnection();
        $connection->failOpen = 2;
        $transport = $this->transport($connection);

        $transport->publish($this->chunk($transport, 'a'));
        self::assertSame(['open', 'open', 'open'], array_slice($connection->calls, 0, 3));

        $connection->failOpen = 10;
        try {
            $transport->publish($this->chunk($transport, 'b'));
            self::fail('no exception');
        } catch (ConnectionFailed $e) {
            self::assertNotInstanceOf(PublishOutcomeUnknown::class, $e);
        }
        self::assertNotContains('publish "" celery b', $connection->calls);
    }

    public function testALossAfterThePublishIsUnknownAndNotRetried(): void
    {
        $connection = new RecordingConnection();
        $connection->failWait = true;
        $transport = $this->transport($connection);

        $this->expectException(PublishOutcomeUnknown::class);
        try {
            $transport->publish($this->chunk($transport, 'a', 'b'));
        } finally {
            self::assertSame(1, count(array_filter($connection->calls, static fn ($c) => $c === 'publish "" celery a')));
        }
    }

    public function testADifferingQueueIsTopologyMismatchBeforeAnyPublish(): void
    {
        $connection = new RecordingConnection();
        $connection->refuseQueue = new ChannelClosed(406, "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'celery'");
        $transport = $this->transport($connection);

        try {
            // A batch declares first (a lone publish declares only for a missing queue).
            $transport->publish($this->chunk($transport, 'a', 'b'));
            self::fail('no exception');
        } catch (TopologyMismatch $e) {
            self::assertStringContainsString('queue "celery"', $e->getMessage());
            self::assertStringContainsString('"x-queue-type"', $e->getMessage());
        }
        self::assertSame([], array_filter($connection->calls, static fn ($c) => str_starts_with($c, 'publish')));
    }

    public function testAReturnedMessageIsRoutingFailed(): void
    {
        $connection = new RecordingConnection();
        $connection->returned = ['a'];
        $transport = $this->transport($connection);

        $this->expectException(RoutingFailed::class);
        $this->expectExceptionMessage('"a"');
        $transport->publish($this->chunk($transport, 'a'));
    }

    public function testAQuorumTopicCountdownGoesToTheDelayExchangeWhichABatchChecksFirst(): void
    {
        $connection = new RecordingConnection();
        $transport = $this->transport($connection, [
            'task_default_queue_type' => 'quorum',
            'task_default_exchange_type' => 'topic',
        ]);
        $key = implode('.', str_split(sprintf('%028b', 30))) . '.celery';

        $chunk = new PublishChunk();
        $transport->queue($chunk, $this->message('a', ['countdown' => 30]), new Delivery('celery'));
        $transport->publish($chunk);
        self::assertSame(['open', "publish celery_delayed_27 $key a", 'wait'], $connection->calls);

        $connection->calls = [];
        $connection->generation++;
        $chunk = new PublishChunk();
        $transport->queue($chunk, $this->message('b', ['countdown' => 30]), new Delivery('celery'));
        $transport->queue($chunk, $this->message('c', ['countdown' => 30]), new Delivery('celery'));
        $transport->publish($chunk);
        self::assertSame(
            [
                'open',
                'exchange celery_delayed_27 topic durable passive',
                "publish celery_delayed_27 $key b",
                "publish celery_delayed_27 $key c",
                'wait',
            ],
            $connection->calls,
        );
    }

    public function testAMissingDelayExchangeIsRoutingFailedAndNeverDeclared(): void
    {
        $connection = new RecordingConnection();
        $connection->closeOnWait = new ChannelClosed(404, "NOT_FOUND - no exchange 'celery_delayed_27' in vhost '/'");
        $transport = $this->transport($connection, [
            'task_default_queue_type' => 'quorum',
            'task_default_exchange_type' => 'topic',
        ]);
        $chunk = new PublishChunk();
        $transport->queue($chunk, $this->message('a', ['countdown' => 30]), new Delivery('celery'));

        try {
            $transport->publish($chunk);
            self::fail('no exception');
        } catch (RoutingFailed $e) {
            self::assertStringContainsString('native delayed delivery', $e->getMessage());
        }
        self::assertSame([], array_filter($connection->calls, static fn ($c) => str_starts_with($c, 'exchange')));
    }

    public function testTransientDeliveryModeIsSentAsOne(): void
    {
        $connection = new RecordingConnection();
        $transport = $this->transportWith($connection, ['task_default_delivery_mode' => 'transient']);
        $chunk = new PublishChunk();

        $transport->queue($chunk, $this->message('a'), new Delivery('celery'));

        self::assertSame(1, $chunk->publishes[0]->message->properties->deliveryMode);
        self::assertSame(2, $this->message('a')->properties['delivery_mode']);
    }

    public function testAPriorityOnAQuorumQueueIsRefused(): void
    {
        $transport = $this->transport(new RecordingConnection(), ['task_default_queue_type' => 'quorum']);

        $this->expectException(InvalidOption::class);
        $this->expectExceptionMessage('ignores message priorities on quorum queues');
        $transport->queue(new PublishChunk(), $this->message('a'), new Delivery('celery', 5));
    }

    /**
     * @param array<string, mixed> $config
     */
    private function transport(RecordingConnection $connection, array $config = []): AmqpTransport
    {
        return new AmqpTransport(
            $connection,
            new AmqpSettings(),
            AmqpTopology::fromConfig($config, 'celery'),
            new RetryPolicy(true, 3, 0.0, 0.0, 0.0),
            null,
        );
    }

    /**
     * A transport with these AMQP settings (amqp_declare, confirms, delivery mode), the default
     * topology, and no publish retries.
     *
     * @param array<string, mixed> $settings
     */
    private function transportWith(RecordingConnection $connection, array $settings): AmqpTransport
    {
        return new AmqpTransport(
            $connection,
            AmqpSettings::fromConfig($settings),
            AmqpTopology::fromConfig([], 'celery'),
            RetryPolicy::never(),
            null,
        );
    }

    /**
     * The calls of publishing $ids as one chunk.
     *
     * @return list<string>
     */
    private function sent(AmqpTransport $transport, RecordingConnection $connection, string ...$ids): array
    {
        $before = count($connection->calls);
        $transport->publish($this->chunk($transport, ...$ids));
        return array_slice($connection->calls, $before);
    }

    private function chunk(AmqpTransport $transport, string ...$ids): PublishChunk
    {
        $chunk = new PublishChunk();
        foreach ($ids as $id) {
            $transport->queue($chunk, $this->message($id), new Delivery('celery'));
            $chunk->taskIds[] = $id;
        }
        return $chunk;
    }

    /**
     * @param array<string, mixed> $options
     */
    private function message(string $id, array $options = []): TaskMessage
    {
        return (new MessageBuilder('gen1@host', 'reply'))->build(
            new Signature('tasks.add', [1, 2], [], $options),
            $id,
            new Delivery('celery'),
            new \DateTimeImmutable('now', new \DateTimeZone('UTC')),
            'tag',
        );
    }
}
