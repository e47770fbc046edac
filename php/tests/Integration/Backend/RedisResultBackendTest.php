<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Backend;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Tests\Integration\RedisTestCase;

/**
 * @group integration
 */
final class RedisResultBackendTest extends RedisTestCase
{
    private const SUCCESS = '{"status": "SUCCESS", "result": %s, "traceback": null, "children": [], '
        . '"date_done": "2030-01-02T03:04:05+00:00", "task_id": "%s"}';

    private RedisConnection $connection;

    protected function setUp(): void
    {
        parent::setUp();
        $this->connection = ConnectionOptions::defaults()->connect($this->redisUrl);
    }

    protected function tearDown(): void
    {
        if (isset($this->connection)) {
            $this->connection->close();
        }
        parent::tearDown();
    }

    private static function success(string $id, string $json): string
    {
        return sprintf(self::SUCCESS, $json, $id);
    }

    /**
     * Connections in subscribed mode on the server right now.
     */
    private function subscribers(): int
    {
        $clients = (array) $this->redis->rawCommand('CLIENT', 'LIST');
        $text = implode("\n", array_map('strval', $clients));
        return preg_match_all('/ sub=[1-9]/', $text);
    }

    public function testWakesUpWhenTheResultIsPublishedWhileWaiting(): void
    {
        $backend = new RedisResultBackend($this->connection);
        $helper = new StoreLater($this->redisUrl, [['celery-task-meta-a', self::success('a', '[1, 2]')]], 'celery-task-meta-a');

        $metas = $backend->wait(['a'], 10.0);
        $returned = Clock::now();
        $stored = $helper->storedAt();

        self::assertSame([1, 2], $metas['a']->result);
        // The wake-up comes from the PUBLISH, not from a poll interval.
        self::assertLessThan(0.1, $returned - $stored);
    }

    public function testTheNextWaitReusesTheSubscriberConnection(): void
    {
        $backend = new RedisResultBackend($this->connection);
        $key = 'celery-task-meta-one';
        $first = new StoreLater($this->redisUrl, [[$key, self::success('one', '1')]], $key);
        self::assertSame(1, $backend->wait(['one'], 10.0)['one']->result);
        unset($first);
        // Between waits the kept connection subscribes to nothing.
        self::assertSame(0, $this->subscribers());
        $connections = (int) $this->redis->info('stats')['total_connections_received'];

        $key = 'celery-task-meta-two';
        $second = new StoreLater($this->redisUrl, [[$key, self::success('two', '2')]], $key);
        self::assertSame(2, $backend->wait(['two'], 10.0)['two']->result);

        // Only the helper that stored "two" connected: get() subscribed on the kept connection.
        self::assertSame($connections + 1, (int) $this->redis->info('stats')['total_connections_received']);
        self::assertSame(0, $this->subscribers());
        unset($second);
    }

    public function testAResultStoredJustBeforeTheSubscriptionIsNotMissed(): void
    {
        // The result lands after the first GET and before SUBSCRIBE: its PUBLISH reaches nobody.
        // Only the GET that follows the confirmed subscription can see it.
        $connection = new class ($this->connection, $this->redis) extends ForwardingConnection {
            public function endpoint(): Endpoint
            {
                $value = sprintf('{"status": "SUCCESS", "result": "late", "task_id": "%s"}', 'r');
                $receivers = $this->redis->multi()->setEx('celery-task-meta-r', 60, $value)->publish('celery-task-meta-r', $value)->exec();
                \PHPUnit\Framework\Assert::assertSame(0, $receivers[1]);
                return parent::endpoint();
            }
        };
        $backend = new RedisResultBackend($connection);

        $started = Clock::now();
        $metas = $backend->wait(['r'], 5.0);

        self::assertSame('late', $metas['r']->result);
        self::assertLessThan(1.0, Clock::now() - $started);
    }

    public function testTimeoutIsHonouredAndEverythingIsCleanedUp(): void
    {
        $backend = new RedisResultBackend($this->connection);
        $this->connection->get('warm-up');

        $started = Clock::now();
        try {
            $backend->wait(['never'], 0.25);
            self::fail('No timeout');
        } catch (ResultTimeout $e) {
            $elapsed = Clock::now() - $started;
            self::assertSame(['never' => 'PENDING'], $e->states);
        }

        self::assertGreaterThanOrEqual(0.25, $elapsed);
        self::assertLessThan(0.35, $elapsed);
        self::assertSame(0, $this->subscribers());
        // The backend's own connection never entered subscribed mode.
        $this->redis->set('celery-task-meta-later', self::success('later', '7'));
        self::assertSame(7, $backend->meta('later')->result);
    }

    public function testManyResultsWithOneSubscriptionInTheOrderAsked(): void
    {
        $backend = RedisResultBackend::fromOptions($this->connection, ['global_keyprefix' => 'pfx']);
        $this->redis->set('pfx_celery-task-meta-b', self::success('b', '"B"'));
        $writes = [
            ['pfx_celery-task-meta-c', '{"status": "STARTED", "result": {"pid": 1}}'],
            ['pfx_celery-task-meta-c', self::success('c', '"C"')],
            ['pfx_celery-task-meta-a', self::success('a', '"A"')],
        ];
        $helper = new StoreLater($this->redisUrl, $writes, 'pfx_celery-task-meta-a');

        $metas = $backend->wait(['a', 'b', 'c'], 10.0);
        $helper->storedAt();

        self::assertSame(['A', 'B', 'C'], [$metas['a']->result, $metas['b']->result, $metas['c']->result]);
        self::assertSame(0, $this->subscribers());
    }

    public function testAnUnreadyPublishKeepsTheWaitGoing(): void
    {
        $backend = new RedisResultBackend($this->connection);
        $writes = [
            ['celery-task-meta-s', '{"status": "STARTED", "result": {"pid": 1, "hostname": "h"}}'],
            ['celery-task-meta-s', '{"status": "RETRY", "result": {"exc_type": "E", "exc_message": []}}'],
            ['celery-task-meta-s', self::success('s', '3')],
        ];
        $helper = new StoreLater($this->redisUrl, $writes, 'celery-task-meta-s');

        self::assertSame(3, $backend->wait(['s'], 10.0)['s']->result);
        $helper->storedAt();
    }

    public function testACorruptPublishedValueIsReported(): void
    {
        $backend = new RedisResultBackend($this->connection);
        $helper = new StoreLater($this->redisUrl, [['celery-task-meta-x', '{"status": "SUCCESS", "result": [1,']], 'celery-task-meta-x');

        try {
            $backend->wait(['x'], 10.0);
            self::fail('No exception');
        } catch (CorruptResult $e) {
            self::assertStringContainsString('task "x"', $e->getMessage());
        } finally {
            $helper->storedAt();
        }
        self::assertSame(0, $this->subscribers());
    }

    public function testAResultTooLargeForThePubsubBufferIsStillRead(): void
    {
        // Redis closes a subscriber whose pending output passes this limit (32 MB by default).
        $limit = $this->redis->config('GET', 'client-output-buffer-limit')['client-output-buffer-limit'];
        $this->redis->config('SET', 'client-output-buffer-limit', 'pubsub 64kb 0 0');
        try {
            $backend = new RedisResultBackend($this->connection);
            $this->connection->get('warm-up');
            $big = str_repeat('x', 1024 * 1024);
            $connections = (int) $this->redis->info('stats')['total_connections_received'];
            $writes = [['celery-task-meta-big', self::success('big', '"' . $big . '"')]];
            $helper = new StoreLater($this->redisUrl, $writes, 'celery-task-meta-big');

            $metas = $backend->wait(['big'], 10.0);
            $helper->storedAt();
            $connections = (int) $this->redis->info('stats')['total_connections_received'] - $connections;
        } finally {
            $this->redis->config('SET', 'client-output-buffer-limit', $limit);
        }

        self::assertSame($big, $metas['big']->result);
        // The helper's connection, the first subscriber (closed by Redis) and the second one.
        self::assertSame(3, $connections);
        self::assertSame(0, $this->subscribers());
    }

    public function testNumericLookingIdsStayStrings(): void
    {
        $backend = new RedisResultBackend($this->connection);
        $this->redis->set('celery-task-meta-123', '{"status": "SUCCESS", "result": 1}');

        $metas = $backend->wait(['123'], 1.0);

        self::assertSame('123', $metas['123']->taskId);
    }
}
