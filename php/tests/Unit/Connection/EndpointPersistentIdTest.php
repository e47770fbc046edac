<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\Endpoint;
use PHPUnit\Framework\TestCase;

/** A persistent socket is shared only by clients of the same server, user and database. */
final class EndpointPersistentIdTest extends TestCase
{
    public function testOneIdPerServerUserAndDatabase(): void
    {
        $ids = [
            Endpoint::tcp('127.0.0.1', 6379)->persistentId(),
            Endpoint::tcp('127.0.0.1', 6380)->persistentId(),
            Endpoint::tcp('localhost', 6379)->persistentId(),
            Endpoint::tcp('127.0.0.1', 6379, 'app')->persistentId(),
            Endpoint::tcp('127.0.0.1', 6379, null, null, 1)->persistentId(),
            Endpoint::unix('/run/redis.sock')->persistentId(),
        ];

        self::assertSame($ids, array_values(array_unique($ids)));
        foreach ($ids as $id) {
            self::assertMatchesRegularExpression('/^celerybridge-[0-9a-f]{16}$/', $id);
        }
        // The password is not part of it (a socket is authenticated once, as its user), and the
        // id is the same in every request.
        self::assertSame($ids[3], Endpoint::tcp('127.0.0.1', 6379, 'app', 'secret')->persistentId());
        self::assertSame($ids[0], Endpoint::tcp('127.0.0.1', 6379, null, null, 0, 1.0, 2.0)->persistentId());
    }

    public function testTheIdIsACheapHash(): void
    {
        // Computed in every PHP-FPM request that opens a persistent socket: xxh3, not sha256.
        self::assertSame(
            'celerybridge-' . hash('xxh3', implode("\0", ['tcp', '127.0.0.1', '6379', '', '', '0'])),
            Endpoint::tcp('127.0.0.1', 6379)->persistentId(),
        );
    }
}
