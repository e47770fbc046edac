<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Broker;

use CeleryBridge\Broker\QueueKeys;
use CeleryBridge\Config\TransportOptions;
use CeleryBridge\Exception\InvalidConfiguration;
use PHPUnit\Framework\TestCase;

final class QueueKeysTest extends TestCase
{
    public function testDefaultStepsMapPrioritiesToKombuLists(): void
    {
        $keys = new QueueKeys();
        $lists = array_map(static fn (int $p) => $keys->listFor('celery', $p), range(0, 9));

        self::assertSame([
            'celery', 'celery', 'celery',
            "celery\x06\x163", "celery\x06\x163", "celery\x06\x163",
            "celery\x06\x166", "celery\x06\x166", "celery\x06\x166",
            "celery\x06\x169",
        ], $lists);
    }

    public function testCustomStepsSeparatorAndPrefix(): void
    {
        $keys = TransportOptions::queueKeys(['priority_steps' => range(0, 9), 'sep' => ':', 'global_keyprefix' => 'pfx:']);

        self::assertSame('pfx:math', $keys->listFor('math', 0));
        self::assertSame('pfx:math:5', $keys->listFor('math', 5));
        self::assertSame('pfx:_kombu.binding.math', $keys->key('_kombu.binding.math'));
        self::assertCount(10, $keys->listsOf('math'));
    }

    public function testPriorityBelowTheFirstStepFallsToTheLastStepAsInKombu(): void
    {
        $keys = TransportOptions::queueKeys(['priority_steps' => [2, 5]]);

        self::assertSame("q\x06\x165", $keys->listFor('q', 0));
        self::assertSame("q\x06\x162", $keys->listFor('q', 3));
    }

    /**
     * @return iterable<string, array{array<string, mixed>}>
     */
    public static function invalid(): iterable
    {
        yield 'steps not ascending' => [['priority_steps' => [0, 6, 3]]];
        yield 'step out of range' => [['priority_steps' => [0, 10]]];
        yield 'steps empty' => [['priority_steps' => []]];
        yield 'empty sep' => [['sep' => '']];
        yield 'prefix not a string' => [['global_keyprefix' => 5]];
    }

    /**
     * @dataProvider invalid
     * @param array<string, mixed> $options
     */
    public function testRefusesTransportOptionsKombuWouldMisuse(array $options): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessageMatches('/broker_transport_options\./');
        TransportOptions::queueKeys($options);
    }
}
