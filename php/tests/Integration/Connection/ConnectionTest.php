<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Connection;

use CeleryBridge\Connection\ConnectionFactory;
use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\PhpRedisConnection;
use CeleryBridge\Connection\PredisConnection;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Tests\Integration\RedisTestCase;
use CeleryBridge\Tests\Unit\Connection\Fixtures\Predis;

/**
 * Both client adapters against the server of CELERY_BRIDGE_REDIS_URL, command by command.
 *
 * @group integration
 */
final class ConnectionTest extends RedisTestCase
{
    /** @var list<string> ACL users created by a test, deleted after it */
    private array $users = [];

    protected function setUp(): void
    {
        parent::setUp();
        Predis::load();
    }

    protected function tearDown(): void
    {
        foreach ($this->users as $user) {
            $this->redis->rawCommand('ACL', 'DELUSER', $user);
        }
        parent::tearDown();
    }

    /**
     * @return iterable<string, array{string}>
     */
    public static function clients(): iterable
    {
        yield 'phpredis' => ['phpredis'];
        yield 'predis' => ['predis'];
    }

    /**
     * @dataProvider clients
     */
    public function testEveryCommandDoesTheSameOnBothClients(string $client): void
    {
        $db = $this->redisUrlForDatabase(5);
        $connection = ConnectionFactory::create($db, ['redis_client' => $client]);
        $this->redis->select(5);
        $this->redis->flushDB();

        self::assertSame(1, $connection->lPush('q', 'first'));
        self::assertSame(2, $connection->lPush('q', "second\x00\xff"));
        self::assertSame(["second\x00\xff", 'first'], $this->redis->lRange('q', 0, -1));
        self::assertSame(2, $connection->lLen('q'));
        $connection->set('k', 'v');
        $connection->set('t', 'w', 100);
        self::assertSame('v', $connection->get('k'));
        self::assertNull($connection->get('missing'));
        self::assertSame(['v', null, 'w'], $connection->mGet(['k', 'missing', 't']));
        self::assertGreaterThan(90, $this->redis->ttl('t'));
        $this->redis->sAdd('s', 'a', 'b');
        $members = $connection->sMembers('s');
        sort($members);
        self::assertSame(['a', 'b'], $members);
        self::assertSame(0, $connection->publish('nobody-listens', 'x'));
        self::assertSame(2, $connection->del('k', 't', 'missing'));
        $connection->ping();
        self::assertSame(5, $connection->database());
        self::assertSame([], $connection->mGet([]));
        self::assertSame(0, $connection->del());
        $connection->close();
        // Closed connections reconnect on the next command.
        self::assertSame(2, $connection->lLen('q'));
        $connection->lPush('q2', 'third');
        self::assertSame(3, $connection->purgeLists(['q', 'missing', 'q2']));
        self::assertSame(0, $this->redis->exists('q', 'q2'));
        self::assertSame(0, $connection->purgeLists(['q']));
    }

    /**
     * @dataProvider clients
     */
    public function testConstructingDoesNoIoAndTheFirstCommandConnects(string $client): void
    {
        $before = $this->clientCount();
        $connection = ConnectionFactory::create($this->redisUrl, ['redis_client' => $client]);
        self::assertSame($before, $this->clientCount());

        $connection->ping();
        self::assertSame($before + 1, $this->clientCount());
        $connection->close();
    }

    /**
     * The server closes an idle connection (restart, failover, `timeout`); the next command,
     * even LPUSH without the publish PING, goes out on a new socket, once.
     *
     * @dataProvider clients
     */
    public function testASocketTheServerClosedIsReplacedBeforeWriting(string $client): void
    {
        $connection = self::inner(ConnectionFactory::create($this->redisUrl, ['redis_client' => $client]));
        $connection->set('name', 'before');
        $this->redis->rawCommand('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');

        self::assertSame(1, $connection->lPush('after-kill', 'x'));
        self::assertSame(['x'], $this->redis->lRange('after-kill', 0, -1));
        self::assertSame('before', $connection->get('name'));
    }

    /**
     * @dataProvider clients
     */
    public function testAclUser(string $client): void
    {
        $this->users[] = 'celery-bridge-test';
        $this->redis->rawCommand('ACL', 'SETUSER', 'celery-bridge-test', 'on', '>p@ss:w/rd', '~*', '&*', '+@all');
        $url = (string) preg_replace('~^redis://~', 'redis://celery-bridge-test:' . rawurlencode('p@ss:w/rd') . '@', $this->redisUrl);

        $connection = ConnectionFactory::create($url, ['redis_client' => $client]);
        self::assertSame(1, $connection->lPush('acl-q', 'x'));
        $whoami = $this->redis->lLen('acl-q');
        self::assertSame(1, $whoami);
        self::assertSame('celery-bridge-test', $connection->endpoint()->username);

        $wrong = (string) preg_replace('~^redis://~', 'redis://celery-bridge-test:nope@', $this->redisUrl);
        try {
            ConnectionFactory::create($wrong, ['redis_client' => $client, 'task_publish_retry' => false])->lPush('acl-q', 'x');
            self::fail('a wrong password was accepted');
        } catch (AuthenticationFailed $e) {
            self::assertStringContainsString('user "celery-bridge-test"', $e->getMessage());
            self::assertStringNotContainsString('nope', $e->getMessage());
        }
        self::assertSame(1, $this->redis->lLen('acl-q'));
    }

    /**
     * @dataProvider clients
     */
    public function testAMissingDatabaseSaysSo(string $client): void
    {
        $connection = ConnectionFactory::create($this->redisUrlForDatabase(99), ['redis_client' => $client, 'task_publish_retry' => false]);

        $this->expectException(ConnectionFailed::class);
        $this->expectExceptionMessage('the database 99 in the URL does not exist');
        $connection->lPush('q', 'x');
    }

    /**
     * @dataProvider clients
     */
    public function testRefusedIsRetriedThenReported(string $client): void
    {
        $port = self::closedPort();
        $connection = ConnectionFactory::create("redis://127.0.0.1:$port/0", [
            'redis_client' => $client,
            'task_publish_retry_policy' => ['max_retries' => 2, 'interval_start' => 0.01, 'interval_step' => 0.01],
        ]);

        try {
            $connection->lPush('q', 'x');
            self::fail('no exception');
        } catch (ConnectionRefused $e) {
            self::assertStringContainsString("127.0.0.1:$port refused the connection", $e->getMessage());
            self::assertStringContainsString('Gave up after 3 attempts', $e->getMessage());
        }
    }

    /**
     * @dataProvider clients
     */
    public function testPersistentConnectionsAreReusedWithinTheProcess(string $client): void
    {
        $options = ['redis_client' => $client, 'redis_persistent' => true];
        $first = ConnectionFactory::create($this->redisUrlForDatabase(2), $options);
        $first->set('who', 'first');
        $id = $this->clientIdOf($first);
        $first->close();
        unset($first);

        $second = ConnectionFactory::create($this->redisUrlForDatabase(2), $options);
        self::assertSame('first', $second->get('who'));
        self::assertSame($id, $this->clientIdOf($second));
        self::assertSame(2, $second->database());
    }

    public function testAnInjectedPhpredisClientIsUsedAsItIs(): void
    {
        $redis = new \Redis();
        $parts = (array) parse_url($this->redisUrl);
        $redis->connect((string) $parts['host'], (int) $parts['port']);
        $redis->select(3);
        $connection = ConnectionFactory::create($redis);

        self::assertInstanceOf(PhpRedisConnection::class, self::inner($connection));
        self::assertSame(1, $connection->lPush('injected', 'x'));
        self::assertSame(3, $connection->database());
        $endpoint = $connection->endpoint();
        self::assertSame(Endpoint::TCP, $endpoint->transport);
        self::assertSame($parts['host'], $endpoint->host);
        self::assertSame($parts['port'], $endpoint->port);
        self::assertSame(3, $endpoint->database);
        $connection->close();
        self::assertTrue($redis->isConnected(), 'closing our connection closed the caller\'s client');
        $this->redis->select(3);
        self::assertSame(1, $this->redis->lLen('injected'));
    }

    public function testAnInjectedPhpredisClientWithAPrefixIsRefused(): void
    {
        $redis = new \Redis();
        $parts = (array) parse_url($this->redisUrl);
        $redis->connect((string) $parts['host'], (int) $parts['port']);
        $redis->setOption(\Redis::OPT_PREFIX, 'app:');

        $this->expectExceptionMessage('OPT_PREFIX "app:"');
        ConnectionFactory::create($redis);
    }

    public function testAnInjectedPredisClientIsUsedAsItIs(): void
    {
        $parts = (array) parse_url($this->redisUrl);
        $client = new \Predis\Client(['host' => $parts['host'], 'port' => $parts['port'], 'database' => 4]);
        $connection = ConnectionFactory::create($client);

        self::assertInstanceOf(PredisConnection::class, self::inner($connection));
        self::assertSame(1, $connection->lPush('injected', 'x'));
        self::assertSame(4, $connection->database());
        self::assertSame($parts['port'], $connection->endpoint()->port);
        $connection->close();
        self::assertTrue($client->isConnected());
        $this->redis->select(4);
        self::assertSame(1, $this->redis->lLen('injected'));
    }

    private function clientCount(): int
    {
        return substr_count(trim((string) $this->redis->rawCommand('CLIENT', 'LIST')), "\n") + 1;
    }

    private function clientIdOf(RedisConnection $connection): string
    {
        // The server's CLIENT ID of the connection's socket: tag it with a name, then find it.
        $name = 'probe' . bin2hex(random_bytes(4));
        $connection->set('celery-bridge-probe', $name);
        foreach (explode("\n", (string) $this->redis->rawCommand('CLIENT', 'LIST')) as $line) {
            if (str_contains($line, 'cmd=set') && preg_match('/\bid=(\d+)/', $line, $m) === 1 && str_contains($line, 'db=2')) {
                return $m[1];
            }
        }
        self::fail('the connection is not in CLIENT LIST');
    }

    private static function inner(RedisConnection $connection): RedisConnection
    {
        return $connection instanceof \CeleryBridge\Connection\RetryingConnection ? $connection->inner() : $connection;
    }

    private static function closedPort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        self::assertNotFalse($socket);
        $name = (string) stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr($name, strrpos($name, ':') + 1);
    }
}
