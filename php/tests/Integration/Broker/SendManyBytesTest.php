<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Broker;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Tests\Integration\RedisTestCase;

/**
 * sendMany() builds the envelopes of tasks without options in its own loop (ChunkBuilder::addAll()),
 * not through MessageBuilder: what it leaves in Redis must be MessageBuilder's bytes, each task
 * with ids of its own.
 *
 * @group integration
 */
final class SendManyBytesTest extends RedisTestCase
{
    public function testTasksWithoutOptionsAreWhatTheGeneralPathWrites(): void
    {
        $client = new CeleryClient($this->redisUrl, config: ['task_routes' => ['tasks.mul' => ['queue' => 'numbers']]]);
        $signatures = [
            new Signature('tasks.add', [1, 2]),
            new Signature('tasks.add', [3, 4]),
            new Signature('tasks.echo', ['a "quoted" é', 1.5, null, [true]], ['key' => ['x' => 1]]),
            new Signature('tasks.mul', [5, 6]),
            // Not plain data: the general path builds this one, inside the same batch.
            new Signature('tasks.echo', [new \DateTimeImmutable('2024-01-02T03:04:05Z')]),
            new Signature('tasks.add', [7, 8]),
        ];
        $results = $client->sendMany($signatures);

        $queues = ['celery', 'celery', 'celery', 'numbers', 'celery', 'celery'];
        $written = ['celery' => array_reverse($this->redis->lRange('celery', 0, -1)),
            'numbers' => array_reverse($this->redis->lRange('numbers', 0, -1))];
        self::assertCount(5, $written['celery']);
        self::assertCount(1, $written['numbers']);
        $ids = [];
        foreach ($signatures as $i => $signature) {
            $raw = (string) array_shift($written[$queues[$i]]);
            $envelope = json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
            $taskId = $envelope['headers']['id'];
            $tag = $envelope['properties']['delivery_tag'];
            self::assertSame($results[$i]->id, $taskId, "task $i");
            $builder = new MessageBuilder($envelope['headers']['origin'], $envelope['properties']['reply_to']);
            $now = new \DateTimeImmutable('now', new \DateTimeZone('UTC'));
            $expected = $builder->build($signature, $taskId, new Delivery($queues[$i]), $now, $tag)->toEnvelope();
            self::assertSame($expected, $raw, "task $i");
            $ids[] = $taskId;
            $ids[] = $tag;
        }
        self::assertCount(12, array_unique($ids));
    }

    public function testManyTasksKeepTheirOrderAndEachHasItsOwnIds(): void
    {
        $client = new CeleryClient($this->redisUrl);
        // More than a chunk (200) and more than one batch of ids (64 tasks).
        $signatures = array_map(static fn (int $i) => new Signature('tasks.add', [$i, $i]), range(0, 449));
        $results = $client->sendMany(new \ArrayIterator($signatures));
        $results = [...$results, ...$client->sendMany($signatures)];

        $written = array_reverse($this->redis->lRange('celery', 0, -1));
        self::assertCount(900, $written);
        $ids = [];
        foreach ($written as $n => $raw) {
            $envelope = json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
            self::assertSame($results[$n]->id, $envelope['headers']['id']);
            $i = $n % 450;
            self::assertSame("[[$i,$i],{}", substr((string) base64_decode($envelope['body'], true), 0, strlen("[[$i,$i],{}")));
            $ids[] = $envelope['headers']['id'];
            $ids[] = $envelope['properties']['delivery_tag'];
        }
        self::assertCount(1800, array_unique($ids));
    }

    /**
     * Each queue list is checked once (LLEN) before its first transaction; a queue named like a
     * number is a PHP int key in that bookkeeping, and must still be checked as the string.
     */
    public function testAQueueNamedLikeANumberIsCheckedAndWritten(): void
    {
        $client = new CeleryClient($this->redisUrl, config: ['task_default_queue' => '123']);
        $results = $client->sendMany([new Signature('tasks.add', [1, 1]), new Signature('tasks.add', [2, 2])]);

        self::assertCount(2, $results);
        self::assertSame(2, $this->redis->lLen('123'));
    }

    /**
     * Tasks the general path builds (here: with an option) between tasks without options, over
     * several chunks: the lists, the results and the after-publish hooks see one order.
     */
    public function testPlainAndGeneralTasksKeepOneOrderOverChunks(): void
    {
        $client = new CeleryClient($this->redisUrl);
        $announced = [];
        $client->afterPublish(static function ($task) use (&$announced): void {
            $announced[] = $task->id;
        });
        $signatures = array_map(
            static fn (int $i) => new Signature('tasks.add', [$i, $i], [], $i % 7 === 3 ? ['priority' => 0] : []),
            range(0, 449),
        );
        $ids = array_map(static fn ($result) => $result->id, $client->sendMany($signatures));

        $written = array_map(
            static fn (string $raw) => json_decode($raw, true, 512, JSON_THROW_ON_ERROR)['headers']['id'],
            array_reverse($this->redis->lRange('celery', 0, -1)),
        );
        self::assertCount(450, array_unique($ids));
        self::assertSame($ids, $written);
        self::assertSame($ids, $announced);
    }

    /**
     * Every message is built before the first write: a bad element after a chunk's worth of
     * tasks without options fails the call with nothing written.
     */
    public function testABadElementAfterAFullChunkWritesNothing(): void
    {
        $client = new CeleryClient($this->redisUrl);
        $canvases = array_map(static fn (int $i) => new Signature('tasks.add', [$i, $i]), range(0, 249));
        $canvases[] = 'tasks.add';
        try {
            $client->sendMany($canvases);
            self::fail('sendMany() took an element that is no canvas');
        } catch (InvalidCanvas $e) {
            self::assertStringStartsWith('sendMany() element [250]: ', $e->getMessage());
        }
        self::assertSame([], $this->redis->keys('*'));
    }
}
