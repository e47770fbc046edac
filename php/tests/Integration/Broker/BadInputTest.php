<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Broker;

use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Tests\Integration\RedisTestCase;

/**
 * Nothing malformed ever reaches Redis: each bad input throws our exception, naming the value,
 * before a single key is written.
 *
 * @group integration
 */
final class BadInputTest extends RedisTestCase
{
    /**
     * @return iterable<string, array{\Closure(string): mixed, list<string>}>
     */
    public function badInputs(): iterable
    {
        yield from BadInputCases::all();
    }

    /**
     * @dataProvider badInputs
     * @param \Closure(string): mixed $call
     * @param list<string> $fragments
     */
    public function testIsRefusedBeforeAnythingIsWritten(\Closure $call, array $fragments): void
    {
        try {
            $call($this->redisUrl);
            self::fail('No exception was thrown.');
        } catch (CeleryBridgeException $e) {
            foreach ($fragments as $fragment) {
                self::assertStringContainsString($fragment, $e->getMessage());
            }
            self::assertTrue(mb_check_encoding($e->getMessage(), 'UTF-8'), 'The message is UTF-8 text.');
        }
        self::assertSame(0, $this->redis->dbSize());
    }

    public function testTheCasesCoverEveryKindOfInput(): void
    {
        $names = implode("\n", array_keys(BadInputCases::all()));
        $kinds = [
            'UTF-8', 'NAN', 'INF', 'resource', 'closure', 'recursive', 'args not a list', 'kwargs with int keys',
            'unknown option', 'priority -1', 'priority 10', 'priority "5"', 'eta', 'countdown with eta',
            'empty task name', 'queue name', 'header named "id"', 'unknown config key',
        ];
        foreach ($kinds as $kind) {
            self::assertStringContainsString($kind, $names);
        }
    }
}
