<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Control;

use CeleryBridge\Control\Broadcast;
use CeleryBridge\Exception\InvalidControlCommand;
use PHPUnit\Framework\TestCase;

final class BroadcastDestinationTest extends TestCase
{
    public function testABadDestinationIsNotCalledARevokeArgumentForPingOrInspect(): void
    {
        $calls = [
            'ping' => static fn () => Broadcast::inspect('ping', ["a\nb"], 't', 'e', 'r'),
            'stats' => static fn () => Broadcast::inspect('stats', [], 't', 'e', 'r'),
            'revoke' => static fn () => Broadcast::revoke('id', false, 'SIGTERM', ['no-at-sign']),
        ];
        foreach ($calls as $name => $call) {
            try {
                $call();
                self::fail("$name accepted the destination");
            } catch (InvalidControlCommand $e) {
                self::assertStringStartsWith('Control command argument "destination"', $e->getMessage(), $name);
            }
        }
    }
}
