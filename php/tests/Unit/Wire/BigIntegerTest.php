<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Message\PythonRepr;
use CeleryBridge\Wire\BigInteger;
use CeleryBridge\Wire\KombuJson;
use CeleryBridge\Wire\Msgpack;
use PHPUnit\Framework\TestCase;

final class BigIntegerTest extends TestCase
{
    public function testItIsWrittenAsItsDigitsInJsonAndInTheRepr(): void
    {
        $big = BigInteger::fromString('-340282366920938463463374607431768211456');
        $value = KombuJson::normalize(['n' => $big, 'list' => [$big, 1]]);

        self::assertSame(
            '{"n":-340282366920938463463374607431768211456,"list":[-340282366920938463463374607431768211456,1]}',
            KombuJson::encode($value),
        );
        self::assertSame('[-340282366920938463463374607431768211456]', PythonRepr::args([$big]));
    }

    public function testAStringThatLooksLikeItStaysAString(): void
    {
        self::assertSame('["celerybridge-bigint-x:12"]', KombuJson::encode(KombuJson::normalize(['celerybridge-bigint-x:12'])));
    }

    public function testOnlyDecimalDigitsAreAccepted(): void
    {
        foreach (['', '-', '01', '1.5', '1e5', ' 1', '0x10', '--1'] as $text) {
            try {
                BigInteger::fromString($text);
                self::fail("accepted \"$text\"");
            } catch (InvalidTaskArgument $e) {
                self::assertStringContainsString('whole number', $e->getMessage());
            }
        }
    }

    public function testMsgpackRefusesIt(): void
    {
        $this->expectException(SerializationFailed::class);

        Msgpack::pack([BigInteger::fromString('12345678901234567890')]);
    }

    public function testKwargsAsAnObjectKeepNumericNames(): void
    {
        $signature = new Signature('tasks.echo', [], (object) ['0' => 1, 'x' => new \stdClass()]);

        self::assertSame('{"0":1,"x":{}}', KombuJson::encode($signature->wireKwargs()));
        self::assertSame('{"0":1,"x":{},"y":2}', KombuJson::encode($signature->withPartial([], ['y' => 2])->wireKwargs()));
    }
}
