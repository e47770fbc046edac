<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\TransactionWrites;
use PHPUnit\Framework\TestCase;

final class TransactionWritesTest extends TestCase
{
    /**
     * LPUSH k a; LPUSH k b leaves the list LPUSH k a b leaves: consecutive pushes to one list
     * become one command, and nothing else is merged or reordered.
     */
    public function testOnlyConsecutivePushesToOneListAreMerged(): void
    {
        self::assertSame([
            ['LPUSH', 'q', 'a', 'b'],
            ['PUBLISH', 'q', 'event'],
            ['LPUSH', 'q', 'c'],
            ['LPUSH', 'r', 'd', 'e'],
            ['LPUSH', 'q', 'f'],
            ['SETEX', 'q', 'v', 10],
            ['LPUSH', 'q', 'g', 'h'],
        ], TransactionWrites::merged([
            ['LPUSH', 'q', 'a'],
            ['LPUSH', 'q', 'b'],
            ['PUBLISH', 'q', 'event'],
            ['LPUSH', 'q', 'c'],
            ['LPUSH', 'r', 'd'],
            ['LPUSH', 'r', 'e'],
            ['LPUSH', 'q', 'f'],
            ['SETEX', 'q', 'v', 10],
            ['LPUSH', 'q', 'g'],
            ['LPUSH', 'q', 'h'],
        ]));
    }

    /**
     * sendMany() writes a run of tasks to one queue as one LPUSH of several values: every
     * value is kept when it follows a push to the same list.
     */
    public function testAPushOfSeveralValuesKeepsThemAll(): void
    {
        self::assertSame(
            [['LPUSH', 'q', 'a', 'b', 'c', 'd'], ['LPUSH', 'r', 'e', 'f']],
            TransactionWrites::merged([['LPUSH', 'q', 'a'], ['LPUSH', 'q', 'b', 'c'], ['LPUSH', 'q', 'd'], ['LPUSH', 'r', 'e', 'f']]),
        );
    }
}
