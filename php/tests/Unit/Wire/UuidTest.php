<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Tests\Unit\Wire\Fixtures\ForkedIds;
use CeleryBridge\Tests\Unit\Wire\Fixtures\UuidState;
use CeleryBridge\Wire\Uuid;
use PHPUnit\Framework\TestCase;

final class UuidTest extends TestCase
{
    public function testVersionFourInCanonicalFormAndNeverTheSame(): void
    {
        $seen = [];
        for ($i = 0; $i < 2000; $i++) {
            [$a, $b] = Uuid::pair();
            foreach ([Uuid::v4(), $a, $b] as $uuid) {
                self::assertMatchesRegularExpression(UuidState::V4, $uuid);
                $seen[$uuid] = true;
            }
        }
        self::assertCount(6000, $seen);
    }

    /**
     * sendMany() indexes the ids of many tasks: each is new, none is one v4() or pair() hands out.
     */
    public function testManyMakesThatManyIdsOfTheirOwn(): void
    {
        $pending = new \ReflectionProperty(Uuid::class, 'ids');
        Uuid::v4();
        $before = $pending->getValue();
        $ids = Uuid::many(300);
        self::assertCount(300, $ids);
        self::assertSame(range(0, 299), array_keys($ids));
        foreach ($ids as $uuid) {
            self::assertMatchesRegularExpression(UuidState::V4, $uuid);
        }
        self::assertSame($before, $pending->getValue());
        self::assertCount(300 + count($before), array_unique([...$ids, ...$before]));
    }

    public function testVariantDigitIsEachOfFourAndEveryOtherDigitEachOfSixteen(): void
    {
        $variants = [];
        $digits = [];
        for ($i = 0; $i < 4000; $i++) {
            $uuid = Uuid::v4();
            $variants[$uuid[19]] = true;
            $digits[$uuid[20]] = true;
        }
        ksort($variants);
        ksort($digits);
        self::assertSame(['8', '9', 'a', 'b'], array_map('strval', array_keys($variants)));
        self::assertSame('0123456789abcdef', implode('', array_keys($digits)));
    }

    /**
     * Ids come from a batch made ahead: a forked child (pcntl_fork(), a worker forked by
     * Swoole's or RoadRunner's master) must not hand out the ids its parent hands out next;
     * neither when it holds the process (sendMany() checks the process once for all its
     * messages, holdProcess(): that check drops a batch the parent made, too).
     *
     * @requires extension pcntl
     * @dataProvider holdingTheProcess
     */
    public function testAForkedChildMakesItsOwnIds(bool $held): void
    {
        $left = new \ReflectionProperty(Uuid::class, 'ids');
        while (count($left->getValue()) < 3) {
            Uuid::v4();
        }
        [$parent, $child] = ForkedIds::parentAndChild(static fn (): array => self::threeIds($held));

        self::assertCount(3, $child);
        self::assertSame([], array_intersect($parent, $child));
    }

    /** @return array<string, array{bool}> */
    public static function holdingTheProcess(): array
    {
        return ['each id checks the process' => [false], 'the process held' => [true]];
    }

    /** @return list<string> a pair and one more, taken as sendTask() (or, held, sendMany()) takes them */
    private static function threeIds(bool $held): array
    {
        if (!$held) {
            return [...Uuid::pair(), Uuid::v4()];
        }
        Uuid::holdProcess();
        try {
            return [...Uuid::pair(), Uuid::v4()];
        } finally {
            Uuid::releaseProcess();
        }
    }

    /**
     * A PHP-FPM request starts with Uuid's first batch: a client's reply_to, then one task's id
     * and delivery tag take exactly it, one read of the random source.
     */
    public function testTheFirstBatchIsWhatAClientAndOneTaskTake(): void
    {
        UuidState::reset();

        Uuid::v4();
        Uuid::pair();

        UuidState::assertFirstBatchTaken();
    }

    public function testFromHex(): void
    {
        self::assertSame('12345678-1234-5678-1234-567812345678', Uuid::fromHex('12345678123456781234567812345678'));
    }
}
