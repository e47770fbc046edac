<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Result;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Tests\Unit\Backend\Fixtures\InMemoryRedis;

final class AsyncResultTest extends StoredResultsTestCase
{
    private const FAILURE = '{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["boom"], '
        . '"exc_module": "builtins"}, "traceback": "Traceback (most recent call last):\nValueError: boom\n", '
        . '"children": [], "date_done": "2030-01-02T03:04:05.678901+00:00", "task_id": "t"}';

    public function testPendingWhenNothingIsStored(): void
    {
        $result = new AsyncResult('t', $this->results->backend);

        self::assertSame('t', $result->id);
        self::assertSame('PENDING', $result->state());
        self::assertSame('PENDING', $result->status());
        self::assertFalse($result->ready());
        self::assertFalse($result->successful());
        self::assertFalse($result->failed());
        self::assertNull($result->result());
        self::assertNull($result->dateDone());
    }

    public function testSuccess(): void
    {
        $result = $this->results->store('t', '{"status": "SUCCESS", "result": [5], "date_done": "2030-01-02T03:04:05+00:00"}');

        self::assertSame('SUCCESS', $result->state());
        self::assertTrue($result->ready());
        self::assertTrue($result->successful());
        self::assertFalse($result->failed());
        self::assertSame([5], $result->result());
        self::assertSame([5], $result->get(timeout: 1.0));
        self::assertSame('2030-01-02 03:04:05', $result->dateDone()?->format('Y-m-d H:i:s'));
        self::assertNull($result->traceback());
    }

    public function testFailureThrowsWithTheRemoteException(): void
    {
        $result = $this->results->store('t', self::FAILURE);

        self::assertSame('FAILURE', $result->state());
        self::assertTrue($result->failed());
        self::assertInstanceOf(ExceptionInfo::class, $result->result());
        self::assertStringEndsWith("ValueError: boom\n", (string) $result->traceback());
        try {
            $result->get(1.0);
            self::fail('No exception');
        } catch (TaskFailed $e) {
            self::assertInstanceOf(CeleryBridgeException::class, $e);
            self::assertSame('t', $e->taskId);
            self::assertSame('ValueError', $e->remoteType());
            self::assertSame('builtins', $e->remoteModule());
            self::assertSame(['boom'], $e->remoteArgs());
            self::assertSame('boom', $e->remoteMessage());
            self::assertStringEndsWith("ValueError: boom\n", (string) $e->remoteTraceback());
            self::assertSame('Task "t" failed on the worker with ValueError: boom', $e->getMessage());
        }
    }

    public function testFailureWithoutPropagateReturnsTheExceptionInfo(): void
    {
        $info = $this->results->store('t', self::FAILURE)->get(1.0, propagate: false);

        self::assertInstanceOf(ExceptionInfo::class, $info);
        self::assertSame('ValueError', $info->type);
        self::assertSame(['boom'], $info->args);
    }

    public function testRevokedThrowsItsOwnException(): void
    {
        $result = $this->results->store('t', '{"status": "REVOKED", "result": {"exc_type": "TaskRevokedError", '
            . '"exc_message": ["expired"], "exc_module": "celery.exceptions"}, "children": null}');

        self::assertTrue($result->ready());
        self::assertFalse($result->failed());
        try {
            $result->get(1.0);
            self::fail('No exception');
        } catch (TaskRevoked $e) {
            self::assertInstanceOf(CeleryBridgeException::class, $e);
            self::assertSame('expired', $e->reason());
            self::assertSame('Task "t" was revoked (expired).', $e->getMessage());
        }
        self::assertSame('TaskRevokedError', $result->get(1.0, propagate: false)->type);
    }

    public function testReadyMetaIsKeptNotReadAgain(): void
    {
        $result = $this->results->store('t', '{"status": "SUCCESS", "result": 1}');
        $result->get(1.0);
        $result->state();
        $result->result();
        unset($this->results->redis->data['celery-task-meta-t']);

        self::assertSame(1, $result->get(1.0));
        self::assertCount(1, $this->results->redis->commands);
    }

    public function testUnreadyStatesAreReadFreshEachTime(): void
    {
        $result = $this->results->store('t', '{"status": "STARTED", "result": {"pid": 7, "hostname": "celery@h"}}');

        self::assertSame('STARTED', $result->state());
        self::assertSame(['pid' => 7, 'hostname' => 'celery@h'], $result->result());
        $this->results->redis->data['celery-task-meta-t'] = '{"status": "SUCCESS", "result": 2}';
        self::assertSame('SUCCESS', $result->state());
    }

    public function testResultExtendedAccessors(): void
    {
        $result = $this->results->store('t', '{"status": "SUCCESS", "result": 5, "name": "tasks.add", "args": [2, 3], '
            . '"kwargs": {}, "worker": "celery@h", "retries": 1, "queue": "math"}');

        self::assertSame('tasks.add', $result->name());
        self::assertSame([2, 3], $result->args());
        self::assertSame([], $result->kwargs());
        self::assertSame('celery@h', $result->worker());
        self::assertSame(1, $result->retries());
        self::assertSame('math', $result->queue());
    }

    public function testForgetDeletesAndForgetsTheCache(): void
    {
        $result = $this->results->store('t', '{"status": "SUCCESS", "result": 1}');
        self::assertTrue($result->ready());

        $result->forget();

        self::assertSame([], $this->results->redis->data);
        self::assertSame('PENDING', $result->state());
    }

    public function testTimeoutWhenNotReady(): void
    {
        $this->expectException(ResultTimeout::class);

        $this->results->store('t', '{"status": "STARTED", "result": {}}')->get(0.0);
    }

    public function testWithoutBackendTheErrorSaysWhatToConfigure(): void
    {
        $this->expectException(NoResultBackend::class);
        $this->expectExceptionMessage('Pass backend:');

        (new AsyncResult('t'))->state();
    }

    public function testSerializedFormHoldsOnlyTheIdAndItsParents(): void
    {
        $result = $this->results->store('t', '{"status": "SUCCESS", "result": 1}');
        $result->get(1.0);

        $text = serialize($result);

        self::assertSame('O:31:"CeleryBridge\Result\AsyncResult":2:{s:2:"id";s:1:"t";s:6:"parent";N;}', $text);
        $restored = unserialize($text);
        self::assertInstanceOf(AsyncResult::class, $restored);
        self::assertSame('t', $restored->id);
        self::assertSame(1, (new AsyncResult($restored->id, $this->results->backend))->get(1.0));
    }

    public function testAnUnserializedResultIsNotReadThroughABackendItFindsButSaysHowToRebuildIt(): void
    {
        // The backend it came from is alive and holds the result: the copy still has no client.
        $restored = unserialize(serialize($this->results->store('t', '{"status": "SUCCESS", "result": 1}')));

        try {
            $restored->get(1.0);
            self::fail('An unserialized result was read without a client.');
        } catch (NoResultBackend $e) {
            self::assertInstanceOf(CeleryBridgeException::class, $e);
            self::assertStringContainsString('Task "t"', $e->getMessage());
            self::assertStringContainsString('$celery->result($id)', $e->getMessage());
        }
        $this->expectException(NoResultBackend::class);
        $restored->state();
    }

    public function testUnserializedWithoutAMatchingBackendSaysHowToRebind(): void
    {
        $other = new RedisResultBackend(new InMemoryRedis(5));
        self::assertNotSame($other, $this->results->backend);
        $restored = unserialize('O:31:"CeleryBridge\Result\AsyncResult":2:{s:2:"id";s:1:"t";s:7:"backend";s:13:"elsewhere/0#x";}');

        $this->expectException(NoResultBackend::class);
        $this->expectExceptionMessage('$celery->result($id)');

        $restored->state();
    }
}
