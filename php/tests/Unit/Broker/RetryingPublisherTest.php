<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Broker;

use CeleryBridge\Broker\RetryingPublisher;
use CeleryBridge\Connection\RetryPolicyReader;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\ConnectionTimedOut;
use CeleryBridge\Exception\OutOfMemory;
use CeleryBridge\Exception\PublishOutcomeUnknown;
use CeleryBridge\Exception\ReadOnlyReplica;
use CeleryBridge\Exception\ServerNotReady;
use CeleryBridge\Tests\Unit\Connection\Fixtures\ScriptedConnection;
use PHPUnit\Framework\TestCase;

final class RetryingPublisherTest extends TestCase
{
    /** @var list<float> */
    private array $slept = [];

    public function testFailuresBeforeLpushAreRetriedWithCeleryDelays(): void
    {
        $inner = new ScriptedConnection([self::refused(), self::timedOut(), null]);
        $connection = $this->retrying($inner, RetryPolicy::celeryDefault());

        self::assertSame(1, $connection->lPush('celery', 'm'));
        self::assertSame(['PING', 'CLOSE', 'PING', 'CLOSE', 'PING', 'LPUSH'], $inner->calls);
        self::assertSame([0.0, 0.2], $this->slept);
        self::assertSame([['celery', 'm']], $inner->pushed);
    }

    public function testEveryKindOfPreSendFailureIsRetried(): void
    {
        $failures = [
            self::refused(),
            self::timedOut(),
            ConnectionLost::duringHandshake('h:1', 'PING', 'reset'),
        ];
        $inner = new ScriptedConnection([...$failures, null]);
        $connection = $this->retrying($inner, RetryPolicyReader::fromConfig(['task_publish_retry_policy' => ['max_retries' => 4]]));

        self::assertSame(1, $connection->lPush('celery', 'm'));
        self::assertCount(3, $this->slept);
    }

    public function testAuthenticationFailuresAreNotRetried(): void
    {
        foreach (
            [
                AuthenticationFailed::rejected('h:1', null, 'WRONGPASS invalid username-password pair'),
                AuthenticationFailed::required('h:1', 'NOAUTH Authentication required.'),
                AuthenticationFailed::notPermitted('h:1', 'alice', 'NOPERM this user has no permissions'),
            ] as $failure
        ) {
            $this->slept = [];
            $inner = new ScriptedConnection([$failure, null]);
            $connection = $this->retrying($inner, RetryPolicy::celeryDefault());
            $retries = 0;
            $connection->onRetry(static function () use (&$retries): void {
                $retries++;
            });
            try {
                $connection->lPush('celery', 'm');
                self::fail('no exception');
            } catch (AuthenticationFailed $e) {
                self::assertSame($failure, $e);
                self::assertStringNotContainsString('Gave up', $e->getMessage());
            }
            self::assertSame([], $this->slept);
            self::assertSame(0, $retries);
            self::assertSame([], $inner->pushed);
        }
    }

    public function testGivesUpAfterMaxRetriesWithTheLastFailure(): void
    {
        $failures = [self::refused(), self::refused(), self::refused(), self::refused()];
        $inner = new ScriptedConnection($failures);
        $connection = $this->retrying($inner, RetryPolicy::celeryDefault());

        try {
            $connection->lPush('celery', 'm');
            self::fail('no exception');
        } catch (ConnectionRefused $e) {
            self::assertSame($failures[3], $e);
            self::assertStringStartsWith('Redis at 127.0.0.1:6379', $e->getMessage());
            self::assertStringContainsString('Gave up after 4 attempts', $e->getMessage());
            self::assertStringContainsString('not queued', $e->getMessage());
        }
        self::assertSame([0.0, 0.2, 0.4], $this->slept);
        self::assertSame([], $inner->pushed);
        self::assertNotContains('LPUSH', $inner->calls);
    }

    public function testGivingUpKeepsWhatTheFailureKnows(): void
    {
        $lost = ConnectionLost::afterSending('h:1', 'PING', 'read error', 0.5);
        $inner = new ScriptedConnection([self::refused(), $lost]);
        $connection = $this->retrying($inner, RetryPolicyReader::fromConfig(['task_publish_retry_policy' => ['max_retries' => 1]]));

        try {
            $connection->lPush('celery', 'm');
            self::fail('no exception');
        } catch (ConnectionLost $e) {
            self::assertSame($lost, $e);
            self::assertTrue($e->timedOut());
            self::assertStringContainsString('Gave up after 2 attempts', $e->getMessage());
        }
    }

    public function testAFailureAfterLpushWasWrittenIsNeverRetried(): void
    {
        $lost = ConnectionLost::afterSending('h:1', 'LPUSH', 'read error', 0.5);
        $inner = new ScriptedConnection([null, null], [$lost, null]);
        $connection = $this->retrying($inner, RetryPolicy::celeryDefault());

        try {
            $connection->lPush('celery', 'm');
            self::fail('no exception');
        } catch (PublishOutcomeUnknown $e) {
            self::assertSame($lost, $e->getPrevious());
            self::assertStringContainsString('may or may not have been queued', $e->getMessage());
            self::assertStringContainsString('"celery"', $e->getMessage());
        }
        self::assertSame(['PING', 'LPUSH'], $inner->calls);
        self::assertSame([], $this->slept);
    }

    /**
     * A transaction cut after it was sent says how many writes it held, counting each value of
     * an LPUSH that carries several (sendMany() joins a run of tasks to one queue so).
     */
    public function testATransactionCutAfterSendingCountsEveryValueOfItsPushes(): void
    {
        $lost = ConnectionLost::afterSending('h:1', 'EXEC', 'read error', 0.5);
        $inner = new ScriptedConnection([null, null], [$lost, null]);
        $connection = $this->retrying($inner, RetryPolicy::celeryDefault());

        try {
            $connection->transaction([['LPUSH', 'q', 'a', 'b', 'c'], ['PUBLISH', 'events', 'e'], ['LPUSH', 'r', 'd']]);
            self::fail('no exception');
        } catch (PublishOutcomeUnknown $e) {
            self::assertStringStartsWith('The 5 writes sent in one MULTI/EXEC transaction', $e->getMessage());
        }
        self::assertSame(['PING', 'MULTI'], $inner->calls);
    }

    public function testReadOnlyAndLoadingRepliesAreRetried(): void
    {
        $inner = new ScriptedConnection(
            [null, null, null],
            [ReadOnlyReplica::at('h:1', 'READONLY'), ServerNotReady::at('h:1', 'LOADING'), null],
        );
        $connection = $this->retrying($inner, RetryPolicy::celeryDefault());

        self::assertSame(1, $connection->lPush('celery', 'm'));
        self::assertSame(['PING', 'LPUSH', 'CLOSE', 'PING', 'LPUSH', 'CLOSE', 'PING', 'LPUSH'], $inner->calls);
    }

    public function testOutOfMemoryAndOtherRepliesAreThrownAtOnce(): void
    {
        foreach ([OutOfMemory::at('h:1', 'OOM'), ConnectionFailed::because('h:1', 'replied "ERR x"')] as $reply) {
            $inner = new ScriptedConnection([null], [$reply]);
            try {
                $this->retrying($inner, RetryPolicy::celeryDefault())->lPush('celery', 'm');
                self::fail('no exception');
            } catch (ConnectionFailed $e) {
                self::assertSame($reply, $e);
            }
            self::assertSame(['PING', 'LPUSH'], $inner->calls);
        }
        self::assertSame([], $this->slept);
    }

    public function testRetryOffThrowsTheFirstFailure(): void
    {
        $refused = self::refused();
        $inner = new ScriptedConnection([$refused, null]);

        try {
            $this->retrying($inner, RetryPolicyReader::fromConfig(['task_publish_retry' => false]))->lPush('celery', 'm');
            self::fail('no exception');
        } catch (ConnectionRefused $e) {
            self::assertSame($refused, $e);
        }
        self::assertSame([], $this->slept);
    }

    public function testPingOnlyOnANewOrQuietConnection(): void
    {
        $now = 100.0;
        $inner = new ScriptedConnection(
            [null, self::refused(), null, null],
            [null, null, null, ConnectionLost::afterSending('h:1', 'LPUSH', 'reset', null), null],
        );
        $connection = $this->onClock($inner, $now);

        $connection->lPush('q', '1');            // new: PING, LPUSH
        $now += 0.5;
        $connection->lPush('q', '2');            // busy: LPUSH only
        $now += 1.0;
        $connection->lPush('q', '3');            // quiet for 1 s: PING (refused), retry: PING, LPUSH
        try {
            $connection->lPush('q', '4');        // LPUSH broke: unknown
            self::fail('no exception');
        } catch (PublishOutcomeUnknown) {
        }
        $connection->lPush('q', '5');            // after a failure: PING again

        self::assertSame(
            ['PING', 'LPUSH', 'LPUSH', 'PING', 'CLOSE', 'PING', 'LPUSH', 'LPUSH', 'PING', 'LPUSH'],
            $inner->calls,
        );
        self::assertSame(['1', '2', '3', '5'], array_column($inner->pushed, 1));
    }

    /**
     * On a busy socket the server had closed, the adapter reconnects before it writes LPUSH; a
     * reconnect cut in its handshake (AUTH, SELECT) never wrote LPUSH: retried like a failed
     * PING, never PublishOutcomeUnknown. Cut after LPUSH was written, it stays unknown.
     */
    public function testAReconnectCutInItsHandshakeBeforeLpushIsRetried(): void
    {
        $now = 100.0;
        $inner = new ScriptedConnection(
            [null, null, null],
            [
                null,
                ConnectionLost::duringHandshake('h:1', 'AUTH', 'reset'),
                null,
                ConnectionLost::afterSending('h:1', 'LPUSH', 'reset', null),
            ],
        );
        $connection = $this->onClock($inner, $now);

        $connection->lPush('q', '1');            // new: PING, LPUSH
        $now += 0.5;
        $connection->lPush('q', '2');            // busy: LPUSH, whose reconnect is cut in AUTH: retried
        $now += 0.5;
        try {
            $connection->lPush('q', '3');        // busy: LPUSH written, then cut: unknown
            self::fail('no exception');
        } catch (PublishOutcomeUnknown) {
        }

        self::assertSame(['PING', 'LPUSH', 'LPUSH', 'CLOSE', 'PING', 'LPUSH', 'LPUSH'], $inner->calls);
        self::assertSame(['1', '2'], array_column($inner->pushed, 1));
        self::assertSame([0.0], $this->slept);
    }

    /**
     * A reconnect cut in its handshake that may not be retried (task_publish_retry off) is
     * thrown as it is; the socket it leaves is new or broken, so the next publish checks it
     * with PING before its LPUSH, as after any lost connection.
     */
    public function testALostConnectionNotRetriedStillMakesTheNextPublishPing(): void
    {
        $now = 100.0;
        $cut = ConnectionLost::duringHandshake('h:1', 'AUTH', 'reset');
        $inner = new ScriptedConnection([null, null], [null, $cut, null]);
        $connection = $this->onClock($inner, $now, RetryPolicy::never());

        $connection->lPush('q', '1');            // new: PING, LPUSH
        $now += 0.5;
        try {
            $connection->lPush('q', '2');        // busy: LPUSH, cut in AUTH, not retried
            self::fail('no exception');
        } catch (ConnectionLost $e) {
            self::assertSame($cut, $e);
        }
        $now += 0.1;
        $connection->lPush('q', '3');            // after the lost connection: PING, LPUSH

        self::assertSame(['PING', 'LPUSH', 'LPUSH', 'PING', 'LPUSH'], $inner->calls);
        self::assertSame(['1', '3'], array_column($inner->pushed, 1));
    }

    /** On a busy socket LPUSH goes first, without PING: its failures follow the same rules. */
    public function testFailuresOfLpushOnABusySocketFollowTheSameRules(): void
    {
        $now = 100.0;
        $inner = new ScriptedConnection(
            [null, null],
            [
                null,
                ReadOnlyReplica::at('h:1', 'READONLY'),
                null,
                OutOfMemory::at('h:1', 'OOM'),
                ConnectionLost::afterSending('h:1', 'LPUSH', 'reset', null),
            ],
        );
        $connection = $this->onClock($inner, $now);

        $connection->lPush('q', '1');            // new: PING, LPUSH
        $now += 0.5;
        $connection->lPush('q', '2');            // busy: LPUSH answered READONLY, retried: PING, LPUSH
        $now += 0.5;
        try {
            $connection->lPush('q', '3');        // busy: LPUSH answered OOM, thrown at once
            self::fail('no exception');
        } catch (OutOfMemory) {
        }
        try {
            $connection->lPush('q', '4');        // busy: LPUSH broke, unknown
            self::fail('no exception');
        } catch (PublishOutcomeUnknown) {
        }

        self::assertSame(['PING', 'LPUSH', 'LPUSH', 'CLOSE', 'PING', 'LPUSH', 'LPUSH', 'LPUSH'], $inner->calls);
        self::assertSame(['1', '2'], array_column($inner->pushed, 1));
        self::assertSame([0.0], $this->slept);
    }

    public function testASocketOpenedJustNowIsNotPingedFirst(): void
    {
        $now = 100.0;
        // ensureConnected() opens a fresh socket: its connect (and AUTH, SELECT) answered.
        $inner = new ScriptedConnection([], [], true);
        $connection = $this->onClock($inner, $now);

        $connection->lPush('q', '1');            // fresh socket: LPUSH only, one round trip
        $now += 0.5;
        $connection->lPush('q', '2');            // busy: LPUSH only
        $now += 1.0;
        $connection->lPush('q', '3');            // quiet for 1 s on the same socket: PING first

        self::assertSame(['LPUSH', 'LPUSH', 'PING', 'LPUSH'], $inner->calls);
    }

    public function testItPublishesOnTheConnectionItWasGiven(): void
    {
        $inner = new ScriptedConnection();

        self::assertSame($inner, $this->retrying($inner, RetryPolicy::celeryDefault())->connection());
    }

    private function retrying(ScriptedConnection $inner, RetryPolicy $policy): RetryingPublisher
    {
        return new RetryingPublisher($inner, $policy, function (float $seconds): void {
            $this->slept[] = $seconds;
        });
    }

    private static function refused(): ConnectionRefused
    {
        return ConnectionRefused::at('127.0.0.1:6379', 'Connection refused');
    }

    private static function timedOut(): ConnectionTimedOut
    {
        return ConnectionTimedOut::connecting('127.0.0.1:6379', 1.0);
    }

    /**
     * A publisher with health_check_interval 1 s on a clock that reads $now, its sleeps recorded,
     * under $policy (Celery's default publish retry policy when none is given).
     */
    private function onClock(ScriptedConnection $inner, float &$now, ?RetryPolicy $policy = null): RetryingPublisher
    {
        return new RetryingPublisher($inner, $policy ?? RetryPolicy::celeryDefault(), function (float $s): void {
            $this->slept[] = $s;
        }, 1.0, new Clock(static function () use (&$now): float {
            return $now;
        }));
    }
}
