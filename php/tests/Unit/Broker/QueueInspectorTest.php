<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Broker;

use CeleryBridge\Broker\QueueInspector;
use CeleryBridge\Broker\QueueKeys;
use CeleryBridge\Config\TransportOptions;
use CeleryBridge\Connection\RedisConnection;
use PHPUnit\Framework\TestCase;

final class QueueInspectorTest extends TestCase
{
    /**
     * @param array<string, int> $lengths list name => length
     * @param list<string> $deleted filled with the keys deleted
     */
    private function inspector(array $lengths, QueueKeys $keys, ?array &$deleted = null): QueueInspector
    {
        $deleted = [];
        $connection = $this->createMock(RedisConnection::class);
        $connection->method('lLen')->willReturnCallback(static fn (string $key): int => $lengths[$key] ?? 0);
        $connection->method('purgeLists')->willReturnCallback(static function (array $keys) use (&$deleted, $lengths): int {
            array_push($deleted, ...$keys);
            return array_sum(array_map(static fn (string $key): int => $lengths[$key] ?? 0, $keys));
        });
        return new QueueInspector($connection, $keys);
    }

    public function testLengthSumsEveryPriorityList(): void
    {
        $lengths = ['celery' => 2, "celery\x06\x163" => 1, "celery\x06\x169" => 4, 'other' => 7];

        self::assertSame(7, $this->inspector($lengths, new QueueKeys())->length('celery'));
        self::assertSame(0, $this->inspector([], new QueueKeys())->length('celery'));
    }

    public function testKeysFollowTheTransportOptions(): void
    {
        $keys = TransportOptions::queueKeys(['priority_steps' => [0, 5], 'sep' => ':', 'global_keyprefix' => 'p:']);
        $lengths = ['p:jobs' => 1, 'p:jobs:5' => 2, "p:jobs\x06\x163" => 100, 'jobs' => 100];

        self::assertSame(3, $this->inspector($lengths, $keys)->length('jobs'));
    }

    public function testAQueueLongerThanWhatIsReadIsStillTakenForTheWaitingPlace(): void
    {
        $connection = $this->createMock(RedisConnection::class);
        $connection->method('lLen')->willReturnCallback(static fn (string $key): int => $key === 'celery' ? 5000 : 0);
        $connection->method('lRange')->willReturnCallback(
            static fn (string $key, int $start, int $stop): array => array_fill(0, $stop - $start + 1, '{"headers": {"id": "other"}}'),
        );
        $inspector = new QueueInspector($connection, new QueueKeys());

        self::assertStringStartsWith(
            'Its message still waits in queue "celery" (probably: not every message was checked) (5000 messages',
            $inspector->explainPending('celery', true, 'mine'),
        );
        self::assertStringContainsString(
            'No message with this id waits in the default queue "celery" (among its 1000 newest messages).',
            $inspector->explainPending('celery', false, 'mine'),
        );
    }

    public function testPurgeEmptiesEveryPriorityListAndCountsTheirMessages(): void
    {
        $inspector = $this->inspector(['celery' => 2, "celery\x06\x166" => 3], new QueueKeys(), $deleted);

        self::assertSame(5, $inspector->purge('celery'));
        self::assertSame(['celery', "celery\x06\x163", "celery\x06\x166", "celery\x06\x169"], $deleted);
    }
}
