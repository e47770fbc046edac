<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\BrPopTimeout;
use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\Failure;
use CeleryBridge\Exception\ConnectionFailed;
use PHPUnit\Framework\TestCase;

final class BrPopTimeoutTest extends TestCase
{
    public function testRedisSixGetsTheFractionAndAReplyIsKeyAndValue(): void
    {
        $sent = [];
        $pop = static function (string $timeout) use (&$sent): mixed {
            $sent[] = $timeout;
            return ['replies', '{"ok":1}'];
        };

        self::assertSame(['replies', '{"ok":1}'], (new BrPopTimeout())->pop(0.25, $pop));
        self::assertSame(['0.250'], $sent);
    }

    public function testATimedOutPopIsNullAndATimeoutIsNeverZero(): void
    {
        $sent = [];
        $pop = static function (string $timeout) use (&$sent): mixed {
            $sent[] = $timeout;
            return [];
        };

        self::assertNull((new BrPopTimeout())->pop(0.0, $pop));
        self::assertSame(['0.001'], $sent);
    }

    public function testRedisFiveRefusesTheFractionOnceThenGetsWholeSeconds(): void
    {
        $endpoint = Endpoint::tcp('127.0.0.1', 6379, null, null, 0);
        $sent = [];
        $pop = static function (string $timeout) use (&$sent, $endpoint): mixed {
            $sent[] = $timeout;
            if (!ctype_digit($timeout)) {
                throw Failure::reply($endpoint, 'ERR timeout is not an integer or out of range');
            }
            return null;
        };
        $timeouts = new BrPopTimeout();

        self::assertNull($timeouts->pop(0.25, $pop));
        self::assertNull($timeouts->pop(2.5, $pop));
        self::assertSame(['0.250', '1', '3'], $sent);
    }

    public function testAnotherFailureIsThrownAndNotRetried(): void
    {
        $endpoint = Endpoint::tcp('127.0.0.1', 6379, null, null, 0);
        $calls = 0;
        $pop = static function () use (&$calls, $endpoint): mixed {
            $calls++;
            throw Failure::reply($endpoint, 'WRONGTYPE Operation against a key holding the wrong kind of value');
        };

        try {
            (new BrPopTimeout())->pop(0.5, $pop);
            self::fail('no exception');
        } catch (ConnectionFailed $e) {
            self::assertStringContainsString('WRONGTYPE', $e->getMessage());
        }
        self::assertSame(1, $calls);
    }
}
