<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Broker\Amqp;

use CeleryBridge\Broker\Amqp\AmqpTopology;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Message\Delivery;
use PHPUnit\Framework\TestCase;

/**
 * Where Celery 5.7's send_task_message publishes, and what its Queues declare, for the same
 * settings (celery/app/amqp.py Queues, new_missing; celery/app/base.py native delayed delivery).
 */
final class AmqpTopologyTest extends TestCase
{
    public function testTheDefaultQueueIsPublishedToThroughTheDefaultExchange(): void
    {
        [$exchange, $key, $queue] = AmqpTopology::fromConfig([], 'celery')->target(new Delivery('celery'), null);

        self::assertSame(['', 'celery'], [$exchange, $key]);
        self::assertNotNull($queue);
        self::assertSame(['celery', 'celery', 'direct', 'celery', []], [
            $queue->name, $queue->exchange, $queue->exchangeType, $queue->routingKey, $queue->arguments,
        ]);
    }

    public function testAMissingQueueGetsItsOwnDirectExchangeAndTheMaxPriority(): void
    {
        $topology = AmqpTopology::fromConfig(['task_queue_max_priority' => 10, 'task_create_missing_queue_type' => 'quorum'], 'celery');

        [, , $queue] = $topology->target(new Delivery('reports'), null);

        self::assertNotNull($queue);
        self::assertSame(['reports', 'direct', ['x-queue-type' => 'quorum', 'x-max-priority' => 10]], [
            $queue->exchange, $queue->exchangeType, $queue->arguments,
        ]);
    }

    public function testTaskQueuesDefineExchangeRoutingKeyAndArguments(): void
    {
        $topology = AmqpTopology::fromConfig(['task_queues' => [
            'media' => ['exchange' => 'media', 'exchange_type' => 'topic', 'routing_key' => 'media.#',
                'queue_arguments' => ['x-max-priority' => 5]],
            ['name' => 'plain'],
        ]], 'celery');

        [$exchange, $key, $media] = $topology->target(new Delivery('media'), null);
        self::assertSame(['media', 'media.#', ['x-max-priority' => 5]], [$exchange, $key, $media?->arguments]);
        // A task_queues entry without an exchange gets the default one (direct): the default exchange.
        [$exchange, $key] = $topology->target(new Delivery('plain'), null);
        self::assertSame(['', 'plain'], [$exchange, $key]);
    }

    public function testAnExplicitExchangeIsPublishedToAsItIsWithoutDeclaring(): void
    {
        $target = AmqpTopology::fromConfig([], 'celery')->target(new Delivery('celery', 0, 'media', 'video'), null);

        self::assertSame(['media', 'video', null, null], $target);
    }

    public function testACountdownOnAQuorumTopicDeploymentTakesTheDelayExchange(): void
    {
        $config = ['task_default_queue_type' => 'quorum', 'task_default_exchange_type' => 'topic'];

        $target = AmqpTopology::fromConfig($config, 'celery')->target(new Delivery('celery'), 30.0);

        self::assertSame(
            ['celery_delayed_27', '0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.1.1.1.0.celery', null, 'celery_delayed_27'],
            $target,
        );
        // Direct exchanges are not delayed by RabbitMQ (Celery logs a warning and publishes normally).
        $direct = AmqpTopology::fromConfig(['task_default_queue_type' => 'quorum'], 'celery')->target(new Delivery('celery'), 30.0);
        self::assertSame(['', 'celery'], array_slice($direct, 0, 2));
        // Without any quorum queue a countdown is an eta header, as always.
        $classic = AmqpTopology::fromConfig(['task_default_exchange_type' => 'topic'], 'celery')->target(new Delivery('celery'), 30.0);
        self::assertSame(['celery', 'celery'], array_slice($classic, 0, 2));
    }

    public function testAPriorityOnAQuorumQueueIsRefused(): void
    {
        $this->expectException(InvalidOption::class);
        $this->expectExceptionMessage('RabbitMQ (3.x) ignores message priorities on quorum queues');
        AmqpTopology::fromConfig(['task_default_queue_type' => 'quorum'], 'celery')->target(new Delivery('celery', 3), null);
    }

    public function testAnUnknownQueueWithoutCreateMissingQueuesIsRefused(): void
    {
        $this->expectException(InvalidOption::class);
        $this->expectExceptionMessage('QueueNotFound');
        AmqpTopology::fromConfig(['task_create_missing_queues' => false], 'celery')->target(new Delivery('other'), null);
    }

    public function testBadSettingsAreRefused(): void
    {
        $configs = [
            ['task_default_queue_type' => 'stream'],
            ['task_queue_max_priority' => '10'],
            ['task_default_exchange_type' => 'x-delayed'],
            ['task_queues' => ['q' => ['queue_arguments' => ['x-max-priority' => 1.5]]]],
            ['task_queues' => ['q' => ['exchnage' => 'x']]],
        ];
        foreach ($configs as $config) {
            try {
                AmqpTopology::fromConfig($config, 'celery');
                self::fail('accepted ' . json_encode($config));
            } catch (InvalidConfiguration) {
                $this->addToAssertionCount(1);
            }
        }
    }
}
