<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Backend;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidTimeout;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Tests\Unit\Backend\Fixtures\InMemoryRedis;
use PHPUnit\Framework\TestCase;

final class RedisResultBackendTest extends TestCase
{
    /**
     * @return iterable<string, array{string, string}>
     */
    public static function prefixes(): iterable
    {
        yield 'none' => ['', 'celery-task-meta-1'];
        yield 'plain word gets "_"' => ['pfx', 'pfx_celery-task-meta-1'];
        yield 'ends in ":"' => ['pfx:', 'pfx:celery-task-meta-1'];
        yield 'ends in "_"' => ['pfx_', 'pfx_celery-task-meta-1'];
        yield 'ends in "-"' => ['pfx-', 'pfx-celery-task-meta-1'];
        yield 'ends in "."' => ['pfx.', 'pfx.celery-task-meta-1'];
        yield 'ends in "/" (not one of Celery\'s)' => ['a/', 'a/_celery-task-meta-1'];
    }

    /**
     * @dataProvider prefixes
     */
    public function testGlobalKeyprefixFollowsCeleryBackendRule(string $prefix, string $key): void
    {
        $backend = RedisResultBackend::fromOptions(new InMemoryRedis(), ['global_keyprefix' => $prefix]);

        self::assertSame($key, $backend->taskKey('1'));
        self::assertSame(substr($key, 0, -strlen('celery-task-meta-1')) . 'celery-taskset-meta-g', $backend->groupKey('g'));
    }

    public function testKeyprefixMustBeAString(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('result_backend_transport_options.global_keyprefix');

        RedisResultBackend::fromOptions(new InMemoryRedis(), ['global_keyprefix' => 5]);
    }

    public function testExpiresIsKept(): void
    {
        self::assertSame(3600, RedisResultBackend::fromOptions(new InMemoryRedis(), [], 3600)->expires);
        self::assertNull(RedisResultBackend::fromOptions(new InMemoryRedis(), [], null)->expires);
    }

    public function testMissingKeyIsPending(): void
    {
        $backend = new RedisResultBackend(new InMemoryRedis());

        self::assertSame('PENDING', $backend->meta('nope')->status);
        self::assertNull($backend->meta('nope')->result);
    }

    public function testManyMetasWithOneMget(): void
    {
        $redis = new InMemoryRedis();
        $redis->data['p:celery-task-meta-b'] = '{"status": "SUCCESS", "result": 2}';
        $redis->data['p:celery-task-meta-a'] = '{"status": "STARTED", "result": {"pid": 1}}';
        $backend = new RedisResultBackend($redis, 'p:');

        $metas = $backend->metas(['a', 'b', 'c', 'a']);

        self::assertSame(['a', 'b', 'c'], array_keys($metas));
        self::assertSame(['STARTED', 'SUCCESS', 'PENDING'], array_map(static fn ($m) => $m->status, array_values($metas)));
        self::assertSame(['MGET p:celery-task-meta-a p:celery-task-meta-b p:celery-task-meta-c'], $redis->commands);
    }

    public function testWaitReturnsReadyResultsWithoutSubscribing(): void
    {
        $redis = new InMemoryRedis();
        $redis->data['celery-task-meta-a'] = '{"status": "SUCCESS", "result": 1}';
        $redis->data['celery-task-meta-b'] = '{"status": "REVOKED", "result": '
            . '{"exc_type": "TaskRevokedError", "exc_message": ["revoked"]}}';

        $metas = (new RedisResultBackend($redis))->wait(['a', 'b'], 5.0);

        self::assertSame(1, $metas['a']->result);
        self::assertSame('REVOKED', $metas['b']->status);
        self::assertCount(1, $redis->commands);
    }

    public function testKnownReadyMetasAreNotReadAgain(): void
    {
        $redis = new InMemoryRedis();
        $redis->data['celery-task-meta-b'] = '{"status": "SUCCESS", "result": 2}';
        $backend = new RedisResultBackend($redis);
        $known = $backend->metas(['b']);
        $redis->data['celery-task-meta-a'] = '{"status": "SUCCESS", "result": 1}';
        $redis->commands = [];

        $metas = $backend->wait(['a', 'b'], null, false, $known);

        self::assertSame([1, 2], [$metas['a']->result, $metas['b']->result]);
        self::assertSame(['GET celery-task-meta-a'], $redis->commands);
    }

    public function testStopOnFailureEndsTheWaitEarly(): void
    {
        $redis = new InMemoryRedis();
        $redis->data['celery-task-meta-b'] = '{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["x"]}}';

        $metas = (new RedisResultBackend($redis))->wait(['a', 'b'], 5.0, true);

        self::assertSame('PENDING', $metas['a']->status);
        self::assertSame('FAILURE', $metas['b']->status);
    }

    public function testZeroTimeoutLooksOnceAndNamesWhatIsMissing(): void
    {
        $redis = new InMemoryRedis();
        $redis->data['celery-task-meta-a'] = '{"status": "SUCCESS", "result": 1}';
        $redis->data['celery-task-meta-b'] = '{"status": "RETRY", "result": {"exc_type": "E"}}';

        try {
            (new RedisResultBackend($redis))->wait(['a', 'b', 'c'], 0.0);
            self::fail('No timeout');
        } catch (ResultTimeout $e) {
            self::assertSame(['b' => 'RETRY', 'c' => 'PENDING'], $e->states);
            self::assertSame(['b', 'c'], $e->taskIds());
            self::assertSame(0.0, $e->timeout);
            self::assertStringContainsString('No result after 0 s for tasks "b" (RETRY), "c" (PENDING).', $e->getMessage());
        }
    }

    /**
     * @return iterable<string, array{float}>
     */
    public static function badTimeouts(): iterable
    {
        yield 'negative' => [-1.0];
        yield 'NAN' => [NAN];
    }

    /**
     * @dataProvider badTimeouts
     */
    public function testTimeoutMustBeSeconds(float $timeout): void
    {
        $this->expectException(InvalidTimeout::class);

        (new RedisResultBackend(new InMemoryRedis()))->wait(['a'], $timeout);
    }

    public function testCorruptStoredValueIsReportedNotGuessed(): void
    {
        $redis = new InMemoryRedis();
        $redis->data['celery-task-meta-a'] = 'not json';

        $this->expectException(CorruptResult::class);

        (new RedisResultBackend($redis))->wait(['a'], 1.0);
    }

    public function testForgetDeletesTheKey(): void
    {
        $redis = new InMemoryRedis();
        $redis->data['x_celery-task-meta-a'] = '{"status": "SUCCESS"}';

        RedisResultBackend::fromOptions($redis, ['global_keyprefix' => 'x'])->forget('a');

        self::assertSame([], $redis->data);
    }

    public function testAWaitEndsAtTheDeadlineOfItsClockWithoutWaitingForIt(): void
    {
        // Each reading of the clock is 31 s after the one before: the task is still PENDING
        // when its key has been read, and the 30 s are over by then.
        $readings = 0;
        $clock = new Clock(static function () use (&$readings): float {
            return 1000.0 + 31.0 * $readings++;
        });
        $backend = new RedisResultBackend(new InMemoryRedis(), '', 86400, null, $clock);

        try {
            $backend->wait(['t'], 30.0);
            self::fail('The wait outlived its deadline.');
        } catch (ResultTimeout $e) {
            // No subscription was opened (InMemoryRedis has no server to subscribe to).
            self::assertSame(['t' => 'PENDING'], $e->states);
        }
        self::assertSame(2, $readings);
    }

    public function testAResultStoredWhenTheDeadlineHasPassedIsStillRead(): void
    {
        $redis = new InMemoryRedis();
        $redis->data['celery-task-meta-t'] = '{"status": "SUCCESS", "result": 7}';
        $readings = 0;
        $clock = new Clock(static function () use (&$readings): float {
            return 1000.0 + 31.0 * $readings++;
        });
        $result = new AsyncResult('t', new RedisResultBackend($redis, '', 86400, null, $clock));

        self::assertSame(7, $result->get(timeout: 30.0));
        // get() and the backend's wait each compute their deadline on the backend's clock.
        self::assertSame(2, $readings);
    }
}
