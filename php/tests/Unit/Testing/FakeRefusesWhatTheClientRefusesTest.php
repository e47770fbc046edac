<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Testing;

use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\CeleryClientInterface;
use CeleryBridge\Testing\CeleryFake;
use CeleryBridge\Tests\Integration\Broker\BadInputCases;
use CeleryBridge\Tests\Unit\Message\TaskOptionsTest;
use PHPUnit\Framework\TestCase;

/**
 * A test that passes with the fake must not hide a call the real client refuses: every bad
 * input of the client's own tables (BadInputCases, TaskOptionsTest::invalid) goes through both,
 * and both throw the same exception with the same message. The real client throws before any
 * I/O, so its broker URL points at a port nothing listens on.
 */
final class FakeRefusesWhatTheClientRefusesTest extends TestCase
{
    private const NOWHERE = 'redis://127.0.0.1:1/0';

    /**
     * Cases of BadInputCases the fake cannot meet: the fake takes no URL, and which queues a named
     * exchange reaches is read from the bindings the workers keep in Redis.
     */
    private const NEED_THE_BROKER = ['a broker URL with a non-numeric db', 'a named exchange no queue is bound to'];

    /**
     * @return iterable<string, array{\Closure(string): mixed, \Closure(string): mixed}>
     */
    public static function badInputs(): iterable
    {
        $fakes = BadInputCases::all(static fn (string $url, array $config = []): CeleryClientInterface => new CeleryFake($config));
        $reals = BadInputCases::all();
        foreach ($reals as $name => [$real]) {
            if (!in_array($name, self::NEED_THE_BROKER, true)) {
                yield $name => [$fakes[$name][0], $real];
            }
        }
    }

    /**
     * @dataProvider badInputs
     * @param \Closure(string): mixed $fake
     * @param \Closure(string): mixed $real
     */
    public function testTheFakeRefusesEveryBadInputTheClientRefuses(\Closure $fake, \Closure $real): void
    {
        self::assertSame(self::thrown($real), self::thrown($fake));
    }

    /**
     * @return iterable<string, array{array<string, mixed>}>
     */
    public static function invalidOptions(): iterable
    {
        foreach (TaskOptionsTest::invalid() as $name => [$options]) {
            yield $name => [$options];
        }
    }

    /**
     * @dataProvider invalidOptions
     * @param array<string, mixed> $options
     */
    public function testTheFakeRefusesEveryInvalidOptionTheClientRefuses(array $options): void
    {
        $real = self::thrown(static fn () => (new CeleryClient(self::NOWHERE))->sendTask('tasks.add', [1], [], $options));
        $fake = new CeleryFake();

        self::assertSame($real, self::thrown(static fn () => $fake->sendTask('tasks.add', [1], [], $options)));
        self::assertSame([], $fake->sent(), 'a refused call records nothing');
    }

    public function testTheFakeRefusesChordsWithoutAResultBackendAsTheClientDoes(): void
    {
        $chord = new Chord([new Signature('tasks.add', [1, 2])], new Signature('tasks.tsum'));

        self::assertSame(
            self::thrown(static fn () => (new CeleryClient(self::NOWHERE))->send($chord)),
            self::thrown(static fn () => (new CeleryFake(resultBackend: false))->send($chord)),
        );
    }

    /**
     * @param \Closure(string): mixed $call
     * @return array{string, string} the exception's class and message
     */
    private static function thrown(\Closure $call): array
    {
        try {
            $call(self::NOWHERE);
        } catch (\Throwable $e) {
            return [$e::class, $e->getMessage()];
        }
        self::fail('No exception thrown.');
    }
}
