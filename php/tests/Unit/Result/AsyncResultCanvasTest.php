<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Result;

use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\NoWorkerControl;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use PHPUnit\Framework\TestCase;

/**
 * What canvas and remote control add to AsyncResult: the parent chain and revoke().
 */
final class AsyncResultCanvasTest extends TestCase
{
    public function testParentsAreReachableAndSurviveSerialization(): void
    {
        $header = new GroupResult('g', [new AsyncResult('a'), new AsyncResult('b')], new AsyncResult('first'));
        $last = new AsyncResult('last', null, new AsyncResult('body', null, $header));

        $copy = unserialize(serialize($last));

        self::assertInstanceOf(AsyncResult::class, $copy);
        self::assertSame('body', $copy->parent?->id);
        self::assertInstanceOf(AsyncResult::class, $copy->parent);
        self::assertInstanceOf(GroupResult::class, $copy->parent->parent);
        self::assertSame(['a', 'b'], $copy->parent->parent->ids());
        self::assertSame('first', $copy->parent->parent->parent?->id);
        self::assertNull((new AsyncResult('x'))->parent);
        self::assertNull(unserialize(serialize(new AsyncResult('x')))->parent);
    }

    public function testRevokeBroadcastsThisTaskId(): void
    {
        $connection = $this->createMock(RedisConnection::class);
        $connection->expects(self::once())->method('publish')->willReturnCallback(static function (string $channel, string $message): int {
            $body = json_decode((string) base64_decode(json_decode($message, true)['body'], true), true);
            self::assertSame(['task_id' => 'abc', 'terminate' => true, 'signal' => 'SIGKILL'], $body['arguments']);
            self::assertSame('/0.celery.pidbox', $channel);
            return 1;
        });

        self::assertSame(1, (new AsyncResult('abc', null, null, new WorkerControl($connection)))->revoke(true, 'SIGKILL'));
    }

    public function testAResultWithoutAClientCannotRevoke(): void
    {
        $connection = $this->createMock(RedisConnection::class);
        $copy = unserialize(serialize(new AsyncResult('abc', null, null, new WorkerControl($connection))));

        $this->expectException(NoWorkerControl::class);
        $this->expectExceptionMessage('$celery->revoke($id)');
        $copy->revoke();
    }
}
