<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Backend;

use CeleryBridge\Backend\RpcResultBackend;
use CeleryBridge\Connection\Amqp\Reply;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\NotSupportedByBackend;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Tests\Unit\Backend\Fixtures\QueuedReplies;
use PHPUnit\Framework\TestCase;

final class RpcResultBackendTest extends TestCase
{
    private QueuedReplies $queue;
    private RpcResultBackend $backend;

    protected function setUp(): void
    {
        $this->queue = new QueuedReplies();
        $this->backend = new RpcResultBackend('oid-1', $this->queue);
    }

    public function testAResultArrivingWhileWaitingForAnotherTaskIsKeptForItsHandle(): void
    {
        $this->queue->pushes = [
            [QueuedReplies::result('a', 'SUCCESS', 2)],
            [QueuedReplies::result('b', 'STARTED', ['pid' => 1]), QueuedReplies::result('b', 'SUCCESS', 1)],
        ];

        self::assertSame(1, $this->backend->wait(['b'], 5.0)['b']->result);
        // Its message was consumed while waiting for "b": nothing is left on the queue.
        $fetches = $this->queue->fetches;
        self::assertSame(2, $this->backend->meta('a')->result);
        self::assertSame(2, $this->backend->wait(['a'], 0.0)['a']->result);
        self::assertSame($fetches, $this->queue->fetches, 'a ready result is answered from what was kept');
    }

    public function testMetaReadsWhatIsInTheQueueNowAndPendingOtherwise(): void
    {
        self::assertSame('PENDING', $this->backend->meta('x')->status);
        $this->queue->queued = [QueuedReplies::result('x', 'STARTED', ['pid' => 1])];
        self::assertSame('STARTED', $this->backend->meta('x')->status);
        self::assertSame('STARTED', $this->backend->meta('x')->status, 'an earlier state is kept until a later one comes');
        $this->queue->queued = [QueuedReplies::result('x', 'SUCCESS', 7)];
        $metas = $this->backend->metas(['x', 'y']);
        self::assertSame(['SUCCESS', 'PENDING'], [$metas['x']->status, $metas['y']->status]);
    }

    public function testAnEarlierStateReadAfterTheFinalOneDoesNotReplaceIt(): void
    {
        $this->queue->queued = [QueuedReplies::result('x', 'SUCCESS', 7), QueuedReplies::result('x', 'STARTED', null)];

        self::assertSame('SUCCESS', $this->backend->meta('x')->status);
    }

    public function testATimeoutNamesTheTaskAndItsLastState(): void
    {
        $this->queue->queued = [QueuedReplies::result('slow', 'STARTED', ['pid' => 1])];

        try {
            $this->backend->wait(['slow', 'done'], 0.0, false, ['done' => new ResultMeta('done', 'SUCCESS', 1)]);
            self::fail('no timeout');
        } catch (ResultTimeout $e) {
            self::assertSame(['slow' => 'STARTED'], $e->states);
            self::assertStringContainsString('slow', $e->getMessage());
        }
    }

    public function testStopOnFailureEndsTheWaitAtTheFirstFailure(): void
    {
        $this->queue->pushes = [[QueuedReplies::result('f', 'FAILURE', ['exc_type' => 'ValueError', 'exc_message' => ['x']])]];

        $metas = $this->backend->wait(['f', 'never'], 5.0, true);

        self::assertSame(['FAILURE', 'PENDING'], [$metas['f']->status, $metas['never']->status]);
    }

    public function testWaitWatchingReportsEveryStateTheWorkerPublishes(): void
    {
        $this->queue->pushes = [
            [QueuedReplies::result('p', 'PROGRESS', ['done' => 1]), QueuedReplies::result('other', 'SUCCESS', 0)],
            [QueuedReplies::result('p', 'PROGRESS', ['done' => 2])],
            [QueuedReplies::result('p', 'SUCCESS', 3)],
        ];
        $seen = [];

        $this->backend->waitWatching('p', 5.0, static function (ResultMeta $meta) use (&$seen): void {
            $seen[] = [$meta->status, $meta->result];
        });

        self::assertSame([['PROGRESS', ['done' => 1]], ['PROGRESS', ['done' => 2]], ['SUCCESS', 3]], $seen);
    }

    public function testACallbackThatReadsTheTaskIsNeverCalledFromInsideItself(): void
    {
        $this->queue->pushes = [[QueuedReplies::result('p', 'PROGRESS', ['done' => 1])], [QueuedReplies::result('p', 'SUCCESS', 3)]];
        $depth = 0;
        $seen = [];

        $this->backend->waitWatching('p', 5.0, function (ResultMeta $meta) use (&$depth, &$seen): void {
            $seen[] = [$meta->status, $depth++];
            if ($meta->result === ['done' => 1]) {
                // Reading the handle meanwhile finds the next state in the queue.
                $this->queue->queued = [QueuedReplies::result('p', 'PROGRESS', ['done' => 2])];
                $seen[] = $this->backend->meta('p')->result;
            }
            $depth--;
        });

        self::assertSame([['PROGRESS', 0], ['done' => 2], ['PROGRESS', 0], ['SUCCESS', 0]], $seen);
    }

    public function testAnUnreadableReplyFailsOnlyItsOwnTask(): void
    {
        $this->queue->queued = [
            new Reply('bad', 'application/json', 'utf-8', '{"status": '),
            QueuedReplies::result('good', 'SUCCESS', 1),
        ];

        self::assertSame(1, $this->backend->meta('good')->result);
        $this->expectException(CorruptResult::class);
        $this->backend->meta('bad');
    }

    public function testForgetDropsWhatWasReceived(): void
    {
        $this->queue->queued = [QueuedReplies::result('x', 'SUCCESS', 7)];
        self::assertSame('SUCCESS', $this->backend->meta('x')->status);

        $this->backend->forget('x');

        self::assertSame('PENDING', $this->backend->meta('x')->status);
    }

    public function testAtMostCeleryBufferSizeTasksAreKeptTheLeastRecentDroppedFirst(): void
    {
        $replies = [];
        for ($i = 0; $i <= RpcResultBackend::BUFFER_MAX; $i++) {
            $replies[] = QueuedReplies::result('t' . $i, 'SUCCESS', $i);
        }
        $this->queue->queued = $replies;

        self::assertSame('PENDING', $this->backend->meta('t0')->status);
        self::assertSame('SUCCESS', $this->backend->meta('t1')->status);
        self::assertSame(RpcResultBackend::BUFFER_MAX, $this->backend->meta('t' . RpcResultBackend::BUFFER_MAX)->result);
    }

    public function testGroupsCannotBeSavedAsCeleryRefusesThem(): void
    {
        $this->expectException(NotSupportedByBackend::class);
        $this->expectExceptionMessage('Group "g": GroupResult::save() is not supported by the "rpc" result backend');
        $this->backend->saveGroup('g', [['g', null], []]);
    }

    public function testTheReplyQueueIsDeclaredOnRequest(): void
    {
        $this->backend->declareReplyQueue();

        self::assertSame(1, $this->queue->declares);
    }

    public function testQueueArgumentsAreCeleryExpiresInMilliseconds(): void
    {
        self::assertSame(['x-expires' => 86_400_000], RpcResultBackend::queueArguments(86400));
        self::assertSame([], RpcResultBackend::queueArguments(null));
        self::assertSame([], RpcResultBackend::queueArguments(0));
    }

    public function testRpcUrls(): void
    {
        self::assertTrue(RpcResultBackend::isRpcUrl('rpc://'));
        self::assertTrue(RpcResultBackend::isRpcUrl('rpc://ignored'));
        self::assertTrue(RpcResultBackend::isRpcUrl('rpc'));
        self::assertFalse(RpcResultBackend::isRpcUrl('redis://localhost'));
        self::assertFalse(RpcResultBackend::isRpcUrl(null));
    }
}
