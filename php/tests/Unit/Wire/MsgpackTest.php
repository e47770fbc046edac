<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Wire\KombuJson;
use CeleryBridge\Wire\Msgpack;
use PHPUnit\Framework\TestCase;

final class MsgpackTest extends TestCase
{
    public function testBytesAreWhatPythonMsgpackPackbWrites(): void
    {
        $value = KombuJson::normalize([
            [1, -1, -33, 200, 70000, -70000, 5000000000, -5000000000, 1.5, 'é', str_repeat('x', 40), true, null, []],
            (object) [],
            ['a' => [1]],
        ]);

        // msgpack.packb(value, use_bin_type=True).hex() with msgpack 1.x in Python.
        self::assertSame(
            '939e01ffd0dfccc8ce00011170d2fffeee90cf000000012a05f200d3fffffffed5fa0e00cb3ff8000000000000a2c3a9d928'
            . '78787878787878787878787878787878787878787878787878787878787878787878787878787878c3c09080'
            . '81a16191' . '01',
            bin2hex(Msgpack::pack($value)),
        );
    }

    public function testAnEmptyMapStaysAMapSoKwargsAreAMapping(): void
    {
        self::assertSame("\x80", Msgpack::pack(new \stdClass()));
        self::assertSame("\x90", Msgpack::pack([]));
        self::assertSame("\x81\xa1a\xc0", Msgpack::pack(['a' => null]));
    }

    public function testDatesAreRefusedBecauseKombuMsgpackHasNoDateType(): void
    {
        $this->expectException(SerializationFailed::class);
        $this->expectExceptionMessageMatches('/no "datetime" type/');
        Msgpack::pack(KombuJson::normalize([new \DateTimeImmutable()]));
    }
}
