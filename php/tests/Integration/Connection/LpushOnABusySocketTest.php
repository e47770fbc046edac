<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Connection;

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Tests\Integration\RedisTestCase;
use CeleryBridge\Tests\Unit\Connection\Fixtures\Predis;

/**
 * LPUSH on a socket that is open already (every publish after the first) takes a shorter way
 * through the adapters than other commands: it must do what run() does with every outcome.
 *
 * @group integration
 */
final class LpushOnABusySocketTest extends RedisTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        Predis::load();
    }

    protected function tearDown(): void
    {
        $this->redis->rawCommand('CLIENT', 'UNPAUSE');
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
     * A message larger than a socket buffer goes out whole, and the list's length comes back.
     *
     * @dataProvider clients
     */
    public function testLargeMessagesGoOutWholeAndTheLengthComesBack(string $client): void
    {
        $connection = ConnectionOptions::fromConfig(['redis_client' => $client])->connect($this->redisUrl);
        $connection->lPush('busy', 'first');
        $large = str_repeat("a\r\nb\0c-", 600_000);

        self::assertSame(2, $connection->lPush('busy', $large));
        self::assertSame(3, $connection->lPush('busy', ''));
        self::assertSame(['', $large, 'first'], $this->redis->lRange('busy', 0, -1));
    }

    /**
     * The server goes away after LPUSH was written and before it answered (here a fake Redis
     * that takes the second LPUSH, stops listening and hangs up): whether it ran is unknown,
     * so that is ConnectionLost, never a refused reconnect (which reads as "not sent" and would
     * be retried, queuing the task twice).
     *
     * @dataProvider clients
     * @requires extension pcntl
     */
    public function testAServerThatHangsUpAfterLpushWasWrittenIsALostConnection(string $client): void
    {
        $listener = stream_socket_server('tcp://127.0.0.1:0');
        self::assertIsResource($listener);
        $name = (string) stream_socket_get_name($listener, false);
        $port = (int) substr($name, strrpos($name, ':') + 1);
        $request = static fn (string $value): string
            => sprintf("*3\r\n\$5\r\nLPUSH\r\n\$4\r\nbusy\r\n\$%d\r\n%s\r\n", strlen($value), $value);
        $pid = pcntl_fork();
        self::assertNotSame(-1, $pid, 'fork failed');
        if ($pid === 0) {
            // The fake server: answers the first LPUSH, reads the second, then goes away.
            $socket = stream_socket_accept($listener, 10.0);
            $read = static function ($socket, string $expected): void {
                $got = '';
                while (strlen($got) < strlen($expected) && !feof($socket)) {
                    $got .= (string) fread($socket, strlen($expected) - strlen($got));
                }
            };
            if ($socket !== false) {
                $read($socket, $request('first'));
                fwrite($socket, ":1\r\n");
                $read($socket, $request('second'));
                fclose($listener);
                fclose($socket);
            }
            pcntl_exec('/bin/true');
        }
        fclose($listener);
        try {
            $connection = ConnectionOptions::fromConfig(['redis_client' => $client])->connect("redis://127.0.0.1:{$port}/0");
            self::assertSame(1, $connection->lPush('busy', 'first'));
            try {
                $connection->lPush('busy', 'second');
                self::fail('LPUSH returned after the server hung up');
            } catch (ConnectionLost $e) {
                self::assertStringContainsString('LPUSH', $e->getMessage());
            }
        } finally {
            pcntl_waitpid($pid, $status);
        }
    }

    /**
     * No reply within the read timeout after LPUSH was written: Redis may or may not run it,
     * so that is ConnectionLost (which the publisher reports as PublishOutcomeUnknown), and the
     * next command opens a new socket.
     *
     * @dataProvider clients
     */
    public function testNoReplyInTimeIsALostConnectionAndTheNextCommandReconnects(string $client): void
    {
        $connection = ConnectionOptions::fromConfig([
            'redis_client' => $client,
            'broker_transport_options' => ['socket_timeout' => 0.3],
        ])->connect($this->redisUrl);
        $connection->lPush('busy', 'first');
        $this->redis->rawCommand('CLIENT', 'PAUSE', '1500', 'WRITE');

        try {
            $connection->lPush('busy', 'paused');
            self::fail('LPUSH returned while Redis was paused');
        } catch (ConnectionLost $e) {
            self::assertTrue($e->timedOut(), $e->getMessage());
            self::assertStringContainsString('LPUSH', $e->getMessage());
        }
        $this->redis->rawCommand('CLIENT', 'UNPAUSE');

        $connection->lPush('busy', 'after');
        self::assertSame('after', $this->redis->lIndex('busy', 0));
        self::assertSame('first', $this->redis->lIndex('busy', -1));
    }
}
