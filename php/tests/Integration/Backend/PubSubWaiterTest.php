<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Backend;

use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\PubSubWaiter;
use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\ConnectionTimedOut;
use CeleryBridge\Exception\TlsFailed;
use CeleryBridge\Tests\Integration\RedisTestCase;
use CeleryBridge\Tests\Integration\SilentServer;

/**
 * The result backend's own RESP2 subscriber (php/src/Connection/PubSubWaiter.php).
 *
 * @group integration
 */
final class PubSubWaiterTest extends RedisTestCase
{
    private ?string $aclUser = null;

    protected function tearDown(): void
    {
        if ($this->aclUser !== null) {
            $this->redis->rawCommand('ACL', 'DELUSER', $this->aclUser);
        }
        parent::tearDown();
    }

    private function endpoint(?string $username = null, ?string $password = null): Endpoint
    {
        $parts = (array) parse_url($this->redisUrl);
        $password ??= isset($parts['pass']) ? rawurldecode((string) $parts['pass']) : null;
        return Endpoint::tcp((string) $parts['host'], (int) ($parts['port'] ?? 6379), $username, $password);
    }

    public function testReceivesWhatIsPublishedAfterTheConfirmation(): void
    {
        $waiter = PubSubWaiter::subscribe($this->endpoint(), ['ch-a', 'ch-b'], Clock::now() + 5);
        self::assertNotNull($waiter);

        // subscribe() returned, so Redis has registered both channels.
        self::assertSame(['ch-a' => 1, 'ch-b' => 1], $this->redis->pubsub('numsub', ['ch-a', 'ch-b']));
        $this->redis->publish('ch-b', 'second');
        $this->redis->publish('ch-a', "bin\x00\r\n\xff");

        self::assertSame(['ch-b', 'second'], $waiter->next(Clock::now() + 5));
        self::assertSame(['ch-a', "bin\x00\r\n\xff"], $waiter->next(Clock::now() + 5));
        $waiter->close();
        self::assertSame(['ch-a' => 0, 'ch-b' => 0], $this->redis->pubsub('numsub', ['ch-a', 'ch-b']));
    }

    public function testLargeMessagesArriveWhole(): void
    {
        $waiter = PubSubWaiter::subscribe($this->endpoint(), ['big'], null);
        $payload = random_bytes(3 * 1024 * 1024);
        $this->redis->publish('big', $payload);

        self::assertSame(['big', $payload], $waiter?->next(null));
    }

    public function testNextReturnsNullAtTheDeadline(): void
    {
        $waiter = PubSubWaiter::subscribe($this->endpoint(), ['quiet'], null);
        $started = Clock::now();

        self::assertNull($waiter?->next($started + 0.1));

        $elapsed = Clock::now() - $started;
        self::assertGreaterThanOrEqual(0.1, $elapsed);
        self::assertLessThan(0.2, $elapsed);
    }

    public function testAServerThatDoesNotAnswerCostsNoMoreThanTheDeadline(): void
    {
        // The kernel accepts the connection into the backlog; nothing ever answers.
        $silent = new SilentServer();
        $port = $silent->port;
        $started = Clock::now();

        $waiter = PubSubWaiter::subscribe(Endpoint::tcp('127.0.0.1', $port), ['x'], $started + 0.1);

        $elapsed = Clock::now() - $started;
        $silent->close();
        self::assertNull($waiter);
        self::assertGreaterThanOrEqual(0.1, $elapsed);
        self::assertLessThan(0.2, $elapsed);
    }

    public function testAWriteTheDeadlineCutsShortIsConnectionTimedOut(): void
    {
        // Nobody reads: once the socket buffers are full, SUBSCRIBE cannot be written whole.
        $silent = new SilentServer();
        $port = $silent->port;
        try {
            PubSubWaiter::subscribe(Endpoint::tcp('127.0.0.1', $port), [str_repeat('c', 64 << 20)], Clock::now() + 0.5);
            self::fail('SUBSCRIBE was written to a server that reads nothing.');
        } catch (ConnectionTimedOut $e) {
            self::assertStringContainsString('ran out before SUBSCRIBE could be sent', $e->getMessage());
        } finally {
            $silent->close();
        }
    }

    public function testAuthenticatesAsAnAclUser(): void
    {
        $this->aclUser = 'celerybridge-waiter-' . bin2hex(random_bytes(4));
        $this->redis->rawCommand('ACL', 'SETUSER', $this->aclUser, 'on', '>s3cret', '&*', '+subscribe', '+auth');

        $waiter = PubSubWaiter::subscribe($this->endpoint($this->aclUser, 's3cret'), ['acl'], Clock::now() + 5);
        $this->redis->publish('acl', 'ok');

        self::assertSame(['acl', 'ok'], $waiter?->next(Clock::now() + 5));
    }

    public function testWrongPasswordFailsWithoutShowingIt(): void
    {
        $this->aclUser = 'celerybridge-waiter-' . bin2hex(random_bytes(4));
        $this->redis->rawCommand('ACL', 'SETUSER', $this->aclUser, 'on', '>right', '&*', '+subscribe');

        try {
            PubSubWaiter::subscribe($this->endpoint($this->aclUser, 'wrong-secret'), ['x'], Clock::now() + 5);
            self::fail('No exception');
        } catch (ConnectionFailed $e) {
            self::assertStringContainsString('WRONGPASS', $e->getMessage());
            self::assertStringNotContainsString('wrong-secret', $e->getMessage());
        }
    }

    public function testAnAuthErrorDuringAWaitIsAuthenticationFailedAsForEveryConnection(): void
    {
        $this->aclUser = 'celerybridge-waiter-' . bin2hex(random_bytes(4));
        $this->redis->rawCommand('ACL', 'SETUSER', $this->aclUser, 'on', '>right', '&*', '+subscribe');

        $this->expectException(AuthenticationFailed::class);
        PubSubWaiter::subscribe($this->endpoint($this->aclUser, 'wrong-secret'), ['x'], Clock::now() + 5);
    }

    public function testATlsHandshakeFailureDuringAWaitIsTlsFailed(): void
    {
        // The test server speaks plain TCP: a TLS client's handshake fails.
        $parts = (array) parse_url($this->redisUrl);
        $endpoint = Endpoint::tls((string) $parts['host'], (int) ($parts['port'] ?? 6379), ['verify_peer' => false]);

        $this->expectException(TlsFailed::class);
        PubSubWaiter::subscribe($endpoint, ['x'], Clock::now() + 5);
    }

    public function testARefusedConnectionIsConnectionRefused(): void
    {
        $this->expectException(ConnectionRefused::class);
        PubSubWaiter::subscribe(Endpoint::tcp('127.0.0.1', SilentServer::closedPort()), ['x'], Clock::now() + 5);
    }

    public function testUnreachableServerIsAConnectionFailure(): void
    {
        $port = SilentServer::closedPort();

        $this->expectException(ConnectionFailed::class);
        $this->expectExceptionMessage('127.0.0.1:' . $port);

        PubSubWaiter::subscribe(Endpoint::tcp('127.0.0.1', $port), ['x'], Clock::now() + 5);
    }

    public function testServerClosingTheConnectionIsReportedNotAwaited(): void
    {
        $waiter = PubSubWaiter::subscribe($this->endpoint(), ['killed'], null);
        $this->redis->rawCommand('CLIENT', 'KILL', 'TYPE', 'pubsub');

        $this->expectException(ConnectionFailed::class);
        $this->expectExceptionMessage('closed');

        $waiter?->next(Clock::now() + 5);
    }
}
