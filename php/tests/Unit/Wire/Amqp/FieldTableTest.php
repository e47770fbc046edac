<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire\Amqp;

use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Wire\Amqp\Decimal;
use CeleryBridge\Wire\Amqp\FieldTable;
use PHPUnit\Framework\TestCase;

/**
 * The expected bytes are what py-amqp 5.4.2's _write_item writes for the Python value in the
 * case name (computed with the pinned py-amqp).
 */
final class FieldTableTest extends TestCase
{
    /**
     * @return iterable<string, array{mixed, string}>
     */
    public static function values(): iterable
    {
        yield 'str' => ['hé', '530000000368c3a9'];
        yield 'bytes' => ["\xff", '5300000001ff'];
        yield 'True' => [true, '7401'];
        yield 'False' => [false, '7400'];
        yield 'None' => [null, '56'];
        yield '1.5' => [1.5, '643ff8000000000000'];
        yield '2.0, a float even when whole' => [2.0, '644000000000000000'];
        yield '-1' => [-1, '49ffffffff'];
        yield '2**31-1' => [2147483647, '497fffffff'];
        yield '-(2**31-1)' => [-2147483647, '4980000001'];
        yield '-2**31, L in py-amqp' => [-2147483648, '4cffffffff80000000'];
        yield '2**31' => [2147483648, '4c0000000080000000'];
        yield '2**40' => [1099511627776, '4c0000010000000000'];
        yield '[]' => [[], '4100000000'];
        yield '{}' => [new \stdClass(), '4600000000'];
        yield '[1, "a", None]' => [[1, 'a', null], '410000000c490000000153000000016156'];
        yield '{"a": 1}' => [['a' => 1], '460000000701614900000001'];
        yield '{"a": 1} as an object' => [(object) ['a' => 1], '460000000701614900000001'];
        yield 'Decimal("1.50")' => [Decimal::fromString('1.50'), '440200000096'];
        yield 'Decimal("-3")' => [Decimal::fromString('-3'), '4400fffffffd'];
        yield 'Decimal("-0.001")' => [Decimal::fromString('-0.001'), '4403ffffffff'];
        yield 'datetime(2026, 12, 5, 6, 56, 56, 596235, tzinfo=utc)' => [
            new \DateTimeImmutable('2026-12-05T07:56:56.596235+01:00'),
            '54000000006b13b5b8',
        ];
    }

    /**
     * @dataProvider values
     */
    public function testEachValueGetsPyAmqpsTypeAndBytes(mixed $value, string $hex): void
    {
        self::assertSame($hex, bin2hex(FieldTable::value($value, 'x')));
    }

    public function testATableKeepsItsOrderAndAnEmptyArrayIsAnEmptyTable(): void
    {
        self::assertSame('00000000', bin2hex(FieldTable::encode([])));
        self::assertSame('00000000', bin2hex(FieldTable::encode(new \stdClass())));
        self::assertSame(
            bin2hex("\x00\x00\x00\x0e" . "\x01b" . "I\x00\x00\x00\x02" . "\x01a" . 'V' . "\x01c" . 't' . "\x01"),
            bin2hex(FieldTable::encode(['b' => 2, 'a' => null, 'c' => true])),
        );
    }

    public function testAValueWithoutAnAmqpTypeIsRefusedNamingTheHeader(): void
    {
        $this->expectException(SerializationFailed::class);
        $this->expectExceptionMessage('The AMQP header "x-trace" has the value an object of class ArrayObject');

        FieldTable::encode(['x-trace' => [new \ArrayObject()]]);
    }

    public function testAHeaderNameOver255BytesIsRefused(): void
    {
        $this->expectException(SerializationFailed::class);
        $this->expectExceptionMessage('is 256 bytes long; AMQP short strings hold at most 255 bytes.');

        FieldTable::encode([str_repeat('k', 256) => 1]);
    }

    public function testATimestampBeforeTheEpochIsRefused(): void
    {
        $this->expectException(SerializationFailed::class);
        $this->expectExceptionMessage('timestamp in "when"');

        FieldTable::encode(['when' => new \DateTimeImmutable('1969-12-31T23:59:59Z')]);
    }

    /**
     * @return iterable<string, array{string, int, int}>
     */
    public static function decimals(): iterable
    {
        yield 'places kept' => ['1.50', 150, 2];
        yield 'integer' => ['+42', 42, 0];
        yield 'leading zeros' => ['0007.0', 70, 1];
        yield 'negative zero' => ['-0.0', 0, 1];
        yield 'int32 max' => ['214748.3647', 2147483647, 4];
    }

    /**
     * @dataProvider decimals
     */
    public function testDecimalText(string $text, int $value, int $scale): void
    {
        $decimal = Decimal::fromString($text);

        self::assertSame([$value, $scale], [$decimal->value, $decimal->scale]);
    }

    /**
     * @return iterable<string, array{string}>
     */
    public static function badDecimals(): iterable
    {
        yield 'exponent' => ['1e3'];
        yield 'empty' => [''];
        yield 'beyond int32' => ['2147483648'];
        yield 'eleven digits' => ['12345678901'];
    }

    /**
     * @dataProvider badDecimals
     */
    public function testDecimalTextAnAmqpDecimalCannotHoldIsRefused(string $text): void
    {
        $this->expectException(SerializationFailed::class);

        Decimal::fromString($text);
    }
}
