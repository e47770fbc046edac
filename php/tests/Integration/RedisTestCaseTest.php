<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration;

final class RedisTestCaseTest extends RedisTestCase
{
    public function testStartsEveryTestWithAnEmptyDatabase(): void
    {
        self::assertSame(0, $this->redis->dbSize());
        $this->redis->set('celerybridge:probe', 'left over');
    }

    /**
     * @depends testStartsEveryTestWithAnEmptyDatabase
     */
    public function testFlushesWhatThePreviousTestLeft(): void
    {
        self::assertFalse($this->redis->get('celerybridge:probe'));
    }

    public function testUsesTheDatabaseOfTheUrl(): void
    {
        $database = (int) trim((string) parse_url($this->redisUrl, PHP_URL_PATH), '/');
        self::assertSame($database, $this->redis->getDbNum());
        self::assertStringEndsWith('/3', $this->redisUrlForDatabase(3));
        self::assertStringNotContainsString('/' . $database . '/3', $this->redisUrlForDatabase(3));
    }
}
