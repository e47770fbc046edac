<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Exception;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Publish\AmqpPublish;
use PHPUnit\Framework\TestCase;

/**
 * A send() may carry one task id twice (Celery allows fixed ids): when RabbitMQ queued one of
 * the two and nacked the other, the exception names the id once as queued and once as not.
 */
final class QueuedInSendTest extends TestCase
{
    public function testAQueuedIdIsTakenOffOnceFromTheTasksNotQueued(): void
    {
        $e = ConnectionFailed::atRabbitMq('127.0.0.1:5672', 'the broker refused (nack) 2 of 3 messages.')
            ->withQueuedInSend(['dup'])
            ->duringPublish(['dup', 'dup', 'other'], [], null);

        self::assertSame(['dup', 'other'], $e->taskIds());
        self::assertSame(['dup'], $e->queuedTaskIds());
    }

    public function testTheNackedPlacesPickThePublishesKeyedByTheirPlaceInTheChunk(): void
    {
        $sent = [3 => 'c', 5 => 'e', 8 => 'h'];
        // at() only moves what was sent by its keys: stand-ins for the publishes do.
        self::assertSame([3 => 'c', 8 => 'h'], AmqpPublish::at($sent, [2, 0]));
        self::assertSame([], AmqpPublish::at($sent, []));
    }
}
