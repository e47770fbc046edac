<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Cli;

use CeleryBridge\Cli\Arguments;
use CeleryBridge\Cli\UsageError;
use PHPUnit\Framework\TestCase;

final class ArgumentsTest extends TestCase
{
    public function testWordsOptionsFlagsAndOptionalValues(): void
    {
        $args = Arguments::parse(
            ['--json', 'send', 'tasks.add', '--args=[1, 2]', '--queue', 'q', '--wait', '--destination', 'a@h', '--destination', 'b@h'],
            ['json'],
            ['wait'],
        );

        self::assertSame(['send', 'tasks.add'], $args->words);
        self::assertSame([true, '[1, 2]', 'q', true], [$args->get('json'), $args->get('args'), $args->get('queue'), $args->get('wait')]);
        self::assertSame(['a@h', 'b@h'], $args->all('destination'));
        self::assertNull($args->get('priority'));
    }

    public function testAnOptionalValueIsTakenOnlyWhenItIsANumber(): void
    {
        self::assertSame('2.5', Arguments::parse(['send', '--wait', '2.5'], [], ['wait'])->get('wait'));
        $word = Arguments::parse(['result', '--wait', 'an-id'], [], ['wait']);
        self::assertSame([true, ['result', 'an-id']], [$word->get('wait'), $word->words]);
    }

    public function testDoubleDashEndsTheOptions(): void
    {
        self::assertSame(['revoke', '--not-an-option'], Arguments::parse(['revoke', '--', '--not-an-option'], [])->words);
    }

    public function testMistakesAreUsageErrors(): void
    {
        foreach ([[['--queue'], []], [['--json=yes'], ['json']]] as [$argv, $flags]) {
            try {
                Arguments::parse($argv, $flags);
                self::fail('accepted ' . implode(' ', $argv));
            } catch (UsageError $e) {
                self::assertStringStartsWith('--', $e->getMessage());
            }
        }
        $this->expectException(UsageError::class);
        $this->expectExceptionMessage('unknown option --colour');
        Arguments::parse(['queues', '--colour', 'red'], [])->allowOnly(['json']);
    }
}
