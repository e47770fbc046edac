<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Wire\Uuid;
use PHPUnit\Framework\TestCase;

final class UuidTest extends TestCase
{
    private const V4 = '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/D';

    public function testVersionFourInCanonicalFormAndNeverTheSame(): void
    {
        $seen = [];
        for ($i = 0; $i < 2000; $i++) {
            [$a, $b] = Uuid::pair();
            foreach ([Uuid::v4(), $a, $b] as $uuid) {
                self::assertMatchesRegularExpression(self::V4, $uuid);
                $seen[$uuid] = true;
            }
        }
        self::assertCount(6000, $seen);
    }

    public function testFromHex(): void
    {
        self::assertSame('12345678-1234-5678-1234-567812345678', Uuid::fromHex('12345678123456781234567812345678'));
    }
}
