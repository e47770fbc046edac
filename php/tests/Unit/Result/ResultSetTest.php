<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Result;

use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Result\ResultSet;

final class ResultSetTest extends StoredResultsTestCase
{
    /**
     * @param array<string, string> $stored id => meta JSON
     * @param list<string> $ids
     */
    private function set(array $stored, array $ids): ResultSet
    {
        foreach ($stored as $id => $meta) {
            $this->results->store($id, $meta);
        }
        return new ResultSet(array_map($this->results->handle(...), $ids));
    }

    public function testValuesComeInTheOrderOfTheIds(): void
    {
        $set = $this->set([
            'c' => '{"status": "SUCCESS", "result": 3}',
            'a' => '{"status": "SUCCESS", "result": 1}',
            'b' => '{"status": "SUCCESS", "result": null}',
        ], ['b', 'c', 'a']);

        self::assertSame([null, 3, 1], $set->get(timeout: 1.0));
        self::assertSame(['b', 'c', 'a'], $set->ids());
        self::assertCount(3, $set);
        self::assertSame(['MGET celery-task-meta-b celery-task-meta-c celery-task-meta-a'], $this->results->redis->commands);
    }

    public function testStatesAndCounts(): void
    {
        $set = $this->set([
            'a' => '{"status": "SUCCESS", "result": 1}',
            'b' => '{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["x"]}}',
        ], ['a', 'b', 'c']);

        self::assertSame(['SUCCESS', 'FAILURE', 'PENDING'], $set->states());
        self::assertSame(2, $set->completedCount());
        self::assertFalse($set->ready());
        self::assertFalse($set->successful());
        self::assertTrue($set->failed());
        self::assertSame(['a', 'b', 'c'], array_map(static fn (AsyncResult $r) => $r->id, iterator_to_array($set)));
    }

    public function testFirstFailureInIdOrderIsThrown(): void
    {
        $set = $this->set([
            'a' => '{"status": "SUCCESS", "result": 1}',
            'b' => '{"status": "REVOKED", "result": {"exc_type": "TaskRevokedError", "exc_message": ["revoked"]}}',
            'c' => '{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["x"]}}',
        ], ['a', 'c', 'b', 'd']);

        $this->expectException(TaskFailed::class);
        $this->expectExceptionMessage('Task "c" failed');

        $set->get(1.0);
    }

    public function testRevokedMemberThrowsTaskRevoked(): void
    {
        $set = $this->set([
            'b' => '{"status": "REVOKED", "result": {"exc_type": "TaskRevokedError", "exc_message": ["revoked"]}}',
        ], ['a', 'b']);

        $this->expectException(TaskRevoked::class);

        $set->get(1.0);
    }

    public function testWithoutPropagateFailuresTakeTheirPlace(): void
    {
        $set = $this->set([
            'a' => '{"status": "SUCCESS", "result": 1}',
            'b' => '{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["x"]}}',
        ], ['b', 'a']);

        $values = $set->get(1.0, propagate: false);

        self::assertInstanceOf(ExceptionInfo::class, $values[0]);
        self::assertSame('ValueError', $values[0]->type);
        self::assertSame(1, $values[1]);
    }

    public function testWithoutPropagateAFailureDoesNotEndTheWait(): void
    {
        $set = $this->set([
            'b' => '{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["x"]}}',
        ], ['a', 'b']);

        try {
            $set->get(0.0, propagate: false);
            self::fail('No timeout');
        } catch (ResultTimeout $e) {
            self::assertSame(['a' => 'PENDING'], $e->states);
        }
    }

    public function testResultsRememberWhatTheSetRead(): void
    {
        $set = $this->set(['a' => '{"status": "SUCCESS", "result": 1}'], ['a']);
        $set->get(1.0);
        $this->results->redis->data = [];

        self::assertSame(1, $set->results[0]->get(1.0));
        self::assertSame(['SUCCESS'], $set->states());
    }
}
