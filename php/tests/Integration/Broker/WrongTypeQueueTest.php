<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Broker;

use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Tests\Integration\RedisTestCase;

/**
 * A queue key that holds another type (a string someone SET): inside MULTI/EXEC its LPUSH alone
 * fails and the rest stays, so the client checks the keys first and writes nothing.
 *
 * @group integration
 */
final class WrongTypeQueueTest extends RedisTestCase
{
    public function testACanvasWithAQueueKeyOfAnotherTypeWritesNothingAndNamesTheKey(): void
    {
        $this->redis->set('not-a-list', 'x');
        $celery = new CeleryClient($this->redisUrl);
        $group = new Group(
            new Signature('tasks.add', [1, 1], [], ['queue' => 'fine']),
            new Signature('tasks.add', [2, 2], [], ['queue' => 'not-a-list']),
        );

        try {
            $celery->send($group);
            self::fail('sent a group to a queue key that is a string');
        } catch (ConnectionFailed $e) {
            self::assertStringContainsString('the queue key "not-a-list" holds a value of another type', $e->getMessage());
            self::assertCount(2, $e->taskIds());
            self::assertSame([], $e->queuedTaskIds());
        }
        self::assertSame(0, $this->redis->lLen('fine'));
        self::assertSame('x', $this->redis->get('not-a-list'));
    }

    public function testSendManyNamesWhatEarlierChunksQueued(): void
    {
        $celery = new CeleryClient($this->redisUrl);
        $celery->sendMany([new Signature('tasks.add', [], [], ['queue' => 'fine']), new Signature('tasks.add')]);
        $this->redis->set('not-a-list', 'x');
        $many = [];
        for ($i = 0; $i < CeleryClient::CHUNK + 1; $i++) {
            $many[] = new Signature('tasks.add', [$i], [], ['queue' => $i < CeleryClient::CHUNK ? 'fine' : 'not-a-list']);
        }
        $many[] = new Signature('tasks.add', [0], [], ['queue' => 'fine']);

        try {
            $celery->sendMany($many);
            self::fail('sent to a queue key that is a string');
        } catch (ConnectionFailed $e) {
            self::assertCount(CeleryClient::CHUNK, $e->queuedTaskIds());
            self::assertCount(2, $e->taskIds());
        }
        self::assertSame(1 + CeleryClient::CHUNK, $this->redis->lLen('fine'));
    }
}
