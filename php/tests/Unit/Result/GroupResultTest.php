<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Result;

use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\NoWorkerControl;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;

final class GroupResultTest extends StoredResultsTestCase
{
    private function stored(string $id, string $status, mixed $result): AsyncResult
    {
        return $this->results->store($id, (string) json_encode([
            'status' => $status, 'result' => $result, 'traceback' => null, 'children' => [],
            'date_done' => '2026-11-24T00:00:00+00:00', 'task_id' => $id,
        ]));
    }

    public function testValuesComeInTheGroupsOrderWithNestedGroupsNested(): void
    {
        $group = new GroupResult('g', [
            $this->stored('a', 'SUCCESS', 1),
            new GroupResult('h', [$this->stored('b', 'SUCCESS', 2), $this->stored('c', 'SUCCESS', 3)]),
            $this->stored('d', 'SUCCESS', 4),
        ]);

        self::assertSame([1, [2, 3], 4], $group->get(timeout: 1.0));
        self::assertSame(['a', 'h', 'd'], $group->ids());
        self::assertSame(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS'], $group->states());
        self::assertTrue($group->ready() && $group->successful() && !$group->failed());
        self::assertSame([4, 3], [$group->completedCount(), count($group)]);
    }

    public function testAFailedTaskIsThrownOrGivenAsItsException(): void
    {
        $error = ['exc_type' => 'ValueError', 'exc_message' => ['boom'], 'exc_module' => 'builtins'];
        $group = new GroupResult('g', [$this->stored('a', 'SUCCESS', 1), $this->stored('b', 'FAILURE', $error)]);

        self::assertTrue($group->failed());
        self::assertSame('ValueError', $group->get(timeout: 1.0, propagate: false)[1]->type);
        $this->expectException(TaskFailed::class);
        $group->get(timeout: 1.0);
    }

    public function testRevokeSendsOneBroadcastForEveryTask(): void
    {
        $connection = $this->createMock(RedisConnection::class);
        $connection->expects(self::once())->method('publish')->willReturnCallback(static function (string $channel, string $message): int {
            $body = json_decode((string) base64_decode(json_decode($message, true)['body'], true), true);
            self::assertSame(['a', 'b', 'c'], $body['arguments']['task_id']);
            self::assertTrue($body['arguments']['terminate']);
            return 3;
        });
        $group = new GroupResult('g', [
            new AsyncResult('a'),
            new GroupResult('h', [new AsyncResult('b'), new AsyncResult('c')]),
        ], null, new WorkerControl($connection));

        self::assertSame(3, $group->revoke(terminate: true));
    }

    public function testWithoutAClientThereIsNoOneToRevokeThrough(): void
    {
        $this->expectException(NoWorkerControl::class);
        (new GroupResult('g', [new AsyncResult('a')]))->revoke();
    }

    public function testSerializationKeepsIdsResultsAndParentButNotTheConnection(): void
    {
        $connection = $this->createMock(RedisConnection::class);
        $parent = new AsyncResult('p');
        $group = new GroupResult('g', [new AsyncResult('a', null, $parent)], $parent, new WorkerControl($connection));

        $copy = unserialize(serialize($group));

        self::assertInstanceOf(GroupResult::class, $copy);
        self::assertSame(['g', ['a']], [$copy->id, $copy->ids()]);
        self::assertSame('p', $copy->parent?->id);
        self::assertInstanceOf(AsyncResult::class, $copy->results[0]);
        self::assertSame('p', $copy->results[0]->parent?->id);
        $this->expectException(NoWorkerControl::class);
        $copy->revoke();
    }

    public function testAnUnserializedGroupSaysHowToRebuildIt(): void
    {
        $copy = unserialize(serialize(new GroupResult('g', [$this->stored('a', 'SUCCESS', 1)])));

        self::assertSame(['a'], $copy->ids());
        $this->expectException(NoResultBackend::class);
        $this->expectExceptionMessage('Group "g": this result was restored with unserialize()');
        $copy->get(1.0);
    }
}
