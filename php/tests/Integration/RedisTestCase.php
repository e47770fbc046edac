<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration;

use PHPUnit\Framework\TestCase;

/**
 * Base class for tests that need a real Redis server.
 *
 * The server comes from CELERY_BRIDGE_REDIS_URL (redis://[:password@]host:port/db); its
 * database is flushed before every test, so never point it at data you want to keep.
 * `make integration` starts a throwaway redis-server and sets CELERY_BRIDGE_REQUIRE_INTEGRATION=1,
 * which turns a missing URL into a failure: a skipped integration suite must not look green.
 */
abstract class RedisTestCase extends TestCase
{
    protected string $redisUrl;
    protected \Redis $redis;

    protected function setUp(): void
    {
        parent::setUp();
        $url = getenv('CELERY_BRIDGE_REDIS_URL');
        if ($url === false || $url === '') {
            $message = 'CELERY_BRIDGE_REDIS_URL is not set; run `make integration`.';
            if (getenv('CELERY_BRIDGE_REQUIRE_INTEGRATION') === '1') {
                self::fail($message);
            }
            self::markTestSkipped($message);
        }
        $this->redisUrl = $url;
        $this->redis = self::connect($url);
        $this->redis->flushDB();
    }

    protected function tearDown(): void
    {
        if (isset($this->redis)) {
            $this->redis->close();
        }
        parent::tearDown();
    }

    /**
     * The same server and credentials with another database number, e.g. for a result backend.
     */
    protected function redisUrlForDatabase(int $database): string
    {
        return (string) preg_replace('~/\d*$~', '', $this->redisUrl) . '/' . $database;
    }

    private static function connect(string $url): \Redis
    {
        $parts = parse_url($url);
        if ($parts === false || !isset($parts['host'])) {
            self::fail(sprintf('CELERY_BRIDGE_REDIS_URL "%s" is not a redis:// URL.', $url));
        }
        $redis = new \Redis();
        $redis->connect($parts['host'], $parts['port'] ?? 6379, 2.0);
        if (isset($parts['pass'])) {
            $auth = isset($parts['user']) && $parts['user'] !== ''
                ? [rawurldecode($parts['user']), rawurldecode($parts['pass'])]
                : rawurldecode($parts['pass']);
            $redis->auth($auth);
        }
        $redis->select((int) trim($parts['path'] ?? '/0', '/'));

        return $redis;
    }
}
