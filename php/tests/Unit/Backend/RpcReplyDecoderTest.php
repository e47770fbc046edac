<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Backend;

use CeleryBridge\Backend\RpcReplyDecoder;
use CeleryBridge\Connection\Amqp\Reply;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Tests\Unit\Backend\Fixtures\QueuedReplies;
use PHPUnit\Framework\TestCase;

final class RpcReplyDecoderTest extends TestCase
{
    private const ID = 'c0ffee00-0000-4000-8000-000000000001';

    public function testSuccessMessageIsTheTaskMeta(): void
    {
        $decoder = new RpcReplyDecoder();
        $reply = QueuedReplies::result(self::ID, 'SUCCESS', 5);

        $meta = $decoder->decode($reply, (string) $decoder->taskId($reply));

        self::assertSame([self::ID, 'SUCCESS', 5, []], [$meta->taskId, $meta->status, $meta->result, $meta->children]);
        self::assertSame('2026-12-05T10:00:00.123456+00:00', $meta->dateDone?->format('Y-m-d\TH:i:s.uP'));
    }

    public function testFailureMessageCarriesTheRemoteException(): void
    {
        // The body a 5.7 worker published for tasks.fail("boom") (traceback shortened).
        $body = '{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["boom"], '
            . '"exc_module": "builtins"}, "traceback": "Traceback (most recent call last):\n  ...\nValueError: boom\n", '
            . '"children": [], "date_done": "2026-12-05T10:00:01.000001+00:00", "task_id": "' . self::ID . '"}';
        $meta = (new RpcReplyDecoder())->decode(new Reply(self::ID, 'application/json', 'utf-8', $body), self::ID);

        self::assertSame('FAILURE', $meta->status);
        self::assertInstanceOf(ExceptionInfo::class, $meta->result);
        self::assertSame(['ValueError', 'builtins', ['boom']], [$meta->result->type, $meta->result->module, $meta->result->args]);
        self::assertStringEndsWith("ValueError: boom\n", (string) $meta->traceback);
    }

    public function testTaskIdIsTheCorrelationIdElseTheBodysTaskId(): void
    {
        $decoder = new RpcReplyDecoder();
        $body = QueuedReplies::result(self::ID, 'SUCCESS', 1)->body;

        self::assertSame('other', $decoder->taskId(new Reply('other', 'application/json', 'utf-8', $body)));
        self::assertSame(self::ID, $decoder->taskId(new Reply(null, 'application/json', 'utf-8', $body)));
        self::assertSame(self::ID, $decoder->taskId(new Reply('', 'application/json', 'utf-8', $body)));
        self::assertNull($decoder->taskId(new Reply(null, 'application/json', 'utf-8', '{"status": "SUCCESS"}')));
        self::assertNull($decoder->taskId(new Reply(null, 'application/json', 'utf-8', 'not json')));
    }

    public function testAResultOfAnotherSerializerIsRefusedNamingTheSetting(): void
    {
        $reply = new Reply(self::ID, 'application/x-python-serialize', 'binary', "\x80\x04N.");

        $this->expectException(CorruptResult::class);
        $this->expectExceptionMessage("set result_serializer = 'json'");
        (new RpcReplyDecoder())->decode($reply, self::ID);
    }

    public function testABodyForAnotherTaskIsRefused(): void
    {
        $reply = QueuedReplies::result('someone-else', 'SUCCESS', 1, [], self::ID);

        $this->expectException(CorruptResult::class);
        $this->expectExceptionMessage('it belongs to task');
        (new RpcReplyDecoder())->decode($reply, self::ID);
    }

    public function testResultMaxSizeApplies(): void
    {
        $reply = QueuedReplies::result(self::ID, 'SUCCESS', str_repeat('x', 200));

        $this->expectException(\CeleryBridge\Exception\ResultTooLarge::class);
        (new RpcReplyDecoder(100))->decode($reply, self::ID);
    }
}
