<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\Failure;
use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\ConnectionTimedOut;
use CeleryBridge\Exception\OutOfMemory;
use CeleryBridge\Exception\ReadOnlyReplica;
use CeleryBridge\Exception\ServerNotReady;
use CeleryBridge\Exception\TlsFailed;
use PHPUnit\Framework\TestCase;

final class FailureTest extends TestCase
{
    /**
     * @return iterable<string, array{string, class-string<ConnectionFailed>, string}>
     */
    public static function replies(): iterable
    {
        yield 'readonly' => ["READONLY You can't write against a read only replica.", ReadOnlyReplica::class, 'read-only'];
        yield 'oom' => ["OOM command not allowed when used memory > 'maxmemory'.", OutOfMemory::class, 'maxmemory'];
        yield 'noauth' => ['NOAUTH Authentication required.', AuthenticationFailed::class, 'requires a password'];
        yield 'wrongpass' => ['WRONGPASS invalid username-password pair or user is disabled.', AuthenticationFailed::class, 'user "alice"'];
        yield 'old redis' => ['ERR invalid password', AuthenticationFailed::class, 'rejected the credentials'];
        yield 'no password set' => [
            'ERR AUTH <password> called without any password configured for the default user.',
            AuthenticationFailed::class,
            'rejected',
        ];
        yield 'noperm' => ["NOPERM User alice has no permissions to run the 'lpush' command", AuthenticationFailed::class, 'ACL'];
        yield 'loading' => ['LOADING Redis is loading the dataset in memory', ServerNotReady::class, 'not ready'];
        yield 'masterdown' => ['MASTERDOWN Link with MASTER is down', ServerNotReady::class, 'not ready'];
        yield 'db' => ['ERR DB index is out of range', ConnectionFailed::class, 'the database 3 in the URL does not exist'];
        yield 'cluster' => ['MOVED 3999 127.0.0.1:6381', ConnectionFailed::class, 'Redis Cluster'];
        yield 'other' => ["ERR unknown command 'FOO'", ConnectionFailed::class, 'did not run'];
    }

    /**
     * @dataProvider replies
     * @param class-string<ConnectionFailed> $class
     */
    public function testReplies(string $reply, string $class, string $says): void
    {
        $endpoint = Endpoint::tcp('10.0.0.5', 6379, 'alice', 'hunter2', 3);
        $failure = Failure::reply($endpoint, $reply);

        self::assertSame($class, $failure::class);
        self::assertStringContainsString($says, $failure->getMessage());
        self::assertStringContainsString('10.0.0.5:6379', $failure->getMessage());
        self::assertStringNotContainsString('hunter2', $failure->getMessage());
        self::assertTrue(Failure::isReply($reply));
    }

    public function testIoMessagesAreNotReplies(): void
    {
        foreach (['Connection refused', 'read error on connection to 127.0.0.1:6379', 'Redis server went away', 'Connection lost'] as $io) {
            self::assertFalse(Failure::isReply($io), $io);
        }
    }

    public function testConnecting(): void
    {
        $tcp = Endpoint::tcp('10.0.0.5', 6379, null, 'hunter2', 0, 0.5);
        $tls = Endpoint::tls('redis.example', 6380, []);
        $unix = Endpoint::unix('/run/redis.sock');
        $opensslWarning = "Redis::connect(): SSL operation failed with code 1. OpenSSL Error messages:\n"
            . 'error:0A000086:SSL routines::certificate verify failed in /x.php on line 3';

        self::assertInstanceOf(ConnectionRefused::class, Failure::connecting($tcp, 'Connection refused'));
        self::assertInstanceOf(ConnectionTimedOut::class, Failure::connecting($tcp, 'Connection timed out [tcp://10.0.0.5:6379]'));
        self::assertStringContainsString('0.5 s', Failure::connecting($tcp, 'Connection timed out')->getMessage());
        $unresolvable = Failure::connecting($tcp, 'php_network_getaddresses: getaddrinfo for x failed: Name or service not known');
        self::assertStringContainsString('does not resolve', $unresolvable->getMessage());
        $tlsFailure = Failure::connecting($tls, 'Redis server went away', [$opensslWarning]);
        self::assertInstanceOf(TlsFailed::class, $tlsFailure);
        self::assertStringContainsString('(certificate verify failed)', $tlsFailure->getMessage());
        self::assertStringContainsString('tls://redis.example:6380', $tlsFailure->getMessage());
        $socket = Failure::connecting($unix, 'No such file or directory');
        self::assertInstanceOf(ConnectionRefused::class, $socket);
        self::assertStringContainsString('unix:/run/redis.sock', $socket->getMessage());
        self::assertStringContainsString('unixsocket', $socket->getMessage());
    }

    public function testAfterSending(): void
    {
        $endpoint = Endpoint::tcp('10.0.0.5', 6379, null, null, 0, 1.0, 2.0);

        $timedOut = Failure::afterSending($endpoint, 'LPUSH', 'read error on connection', 1.95, false);
        self::assertInstanceOf(ConnectionLost::class, $timedOut);
        self::assertStringContainsString('no reply to LPUSH within 2 s', $timedOut->getMessage());
        self::assertStringContainsString('may or may not have run', $timedOut->getMessage());

        $reset = Failure::afterSending($endpoint, 'LPUSH', 'Connection reset by peer', 0.01, false);
        self::assertStringContainsString('broke after LPUSH was sent', $reset->getMessage());

        $handshake = Failure::afterSending($endpoint, 'PING', 'Error while reading line from the server. [tcp://10.0.0.5:6379]', 2.0, true);
        self::assertInstanceOf(ConnectionTimedOut::class, $handshake);
        self::assertStringContainsString('did not answer PING within 2 s', $handshake->getMessage());

        $closed = Failure::afterSending($endpoint, 'AUTH', 'socket error on read socket', 0.0, true);
        self::assertInstanceOf(ConnectionLost::class, $closed);
        self::assertStringContainsString('nothing was changed', $closed->getMessage());
    }

    public function testOnlyACommandThatMayRunTwiceIsResentAndNeverAfterATimeout(): void
    {
        $endpoint = Endpoint::tcp('10.0.0.5', 6379, readTimeout: 2.0);
        $broken = new \RuntimeException('read error on connection to 10.0.0.5:6379');
        $lost = static fn (string $command, float $elapsed) => Failure::ofCommand($endpoint, false, $command, $broken, $elapsed, false);

        self::assertTrue(Failure::resendable('GET', $lost('GET', 0.01)));
        self::assertTrue(Failure::resendable('BRPOP', $lost('BRPOP', 0.01)));
        foreach (['LPUSH', 'PUBLISH', 'MULTI'] as $write) {
            self::assertFalse(Failure::resendable($write, $lost($write, 0.01)), $write);
        }
        // Waited out the read timeout: the server may be stuck, not gone.
        self::assertFalse(Failure::resendable('GET', $lost('GET', 2.0)));
        self::assertFalse(Failure::resendable('GET', Failure::reply($endpoint, 'LOADING Redis is loading the dataset in memory')));
    }
}
