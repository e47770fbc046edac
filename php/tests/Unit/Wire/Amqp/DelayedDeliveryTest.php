<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire\Amqp;

use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Tests\Unit\Wire\Amqp\Fixtures\AmqpCapture;
use CeleryBridge\Wire\Amqp\DelayedDelivery;
use PHPUnit\Framework\TestCase;

final class DelayedDeliveryTest extends TestCase
{
    /**
     * The captures: countdown=30 from a client (quorum queue, topic exchange) and countdown=3
     * from the worker_quorum_topic run, both sent to celery_delayed_27.
     *
     * @return iterable<string, array{string, int}>
     */
    public static function captured(): iterable
    {
        yield 'quorum_countdown_topic' => ['quorum_countdown_topic', 30];
        yield 'worker_quorum_topic' => ['worker_quorum_topic', 3];
    }

    /**
     * @dataProvider captured
     */
    public function testCelerysRoutingKey(string $case, int $countdown): void
    {
        $delayed = array_values(array_filter(
            AmqpCapture::publishes(),
            static fn (\stdClass $p) => $p->case === $case && $p->method_args->exchange === DelayedDelivery::EXCHANGE,
        ));

        self::assertCount(1, $delayed);
        self::assertSame($delayed[0]->method_args->routing_key, DelayedDelivery::routingKey($countdown, 'celery'));
    }

    public function testWholeSecondsAsCeleryTruncatesThem(): void
    {
        self::assertSame(str_repeat('0.', 27) . '1.video', DelayedDelivery::routingKey(1.9, 'video'));
        self::assertSame(str_repeat('1.', 28) . 'video', DelayedDelivery::routingKey((1 << 28) - 1, 'video'));
    }

    public function testARetriedTasksDelayPrefixIsReplacedNotStacked(): void
    {
        $once = DelayedDelivery::routingKey(30, 'media.video');

        self::assertSame(str_repeat('0.', 27) . '1.media.video', DelayedDelivery::routingKey(1, $once));
        // Only a full 28-word prefix is a delay: a key that merely starts with 0/1 words stays.
        self::assertStringEndsWith('.0.1.x', DelayedDelivery::routingKey(1, '0.1.x'));
    }

    /**
     * @return iterable<string, array{int|float}>
     */
    public static function outOfRange(): iterable
    {
        yield 'under a second' => [0.5];
        yield 'zero' => [0];
        yield 'negative' => [-3];
        yield '2**28 s' => [1 << 28];
        yield 'huge float' => [1e30];
        yield 'huge negative float' => [-1e30];
        yield 'NAN' => [NAN];
        yield 'INF' => [INF];
    }

    /**
     * @dataProvider outOfRange
     */
    public function testACountdownTheTopologyCannotHoldIsRefused(int|float $countdown): void
    {
        $this->expectException(InvalidOption::class);
        $this->expectExceptionMessage('Task option "countdown" has the value');

        DelayedDelivery::routingKey($countdown, 'celery');
    }
}
