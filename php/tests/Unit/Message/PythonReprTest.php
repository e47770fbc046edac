<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message;

use CeleryBridge\Message\PythonRepr;
use PHPUnit\Framework\TestCase;

final class PythonReprTest extends TestCase
{
    /**
     * @return iterable<string, array{string, string, string}>
     */
    public static function celeryCases(): iterable
    {
        $cases = json_decode((string) file_get_contents(__DIR__ . '/fixtures/saferepr.json'), true, 512, JSON_THROW_ON_ERROR);
        foreach ($cases as $i => $case) {
            yield 'case ' . $i . ' ' . substr($case['json'], 0, 40) => [$case['json'], $case['args'], $case['kwargs']];
        }
    }

    /**
     * @dataProvider celeryCases
     */
    public function testMatchesCelerysSaferepr(string $json, string $expectedArgs, string $expectedKwargs): void
    {
        $value = json_decode($json, false, 512, JSON_THROW_ON_ERROR);
        $kwargs = new \stdClass();
        $kwargs->k = $value;
        $kwargs->z = 1;

        self::assertSame($expectedArgs, PythonRepr::saferepr($value, 1024, 3));
        self::assertSame($expectedKwargs, PythonRepr::kwargs($kwargs));
    }

    public function testEmptyArgsAreAnEmptyTupleLikeSendTask(): void
    {
        self::assertSame('()', PythonRepr::args([]));
        self::assertSame('[2, 3]', PythonRepr::args([2, 3]));
        self::assertSame('{}', PythonRepr::kwargs(new \stdClass()));
    }

    /**
     * @return iterable<string, array{float, string}>
     */
    public static function floats(): iterable
    {
        yield 'integral' => [3.0, '3.0'];
        yield 'tenth' => [0.1, '0.1'];
        yield 'exponent 16 switches to scientific' => [1e16, '1e+16'];
        yield 'exponent 15 stays fixed' => [1e15, '1000000000000000.0'];
        yield 'small' => [1.5e-5, '1.5e-05'];
        yield 'fixed down to 1e-4' => [0.0001, '0.0001'];
        yield 'negative zero' => [-0.0, '-0.0'];
        yield 'third' => [1 / 3, '0.3333333333333333'];
        yield 'huge' => [1.7976931348623157e308, '1.7976931348623157e+308'];
    }

    /**
     * @dataProvider floats
     */
    public function testFloatsReadLikePythonStr(float $value, string $expected): void
    {
        self::assertSame($expected, PythonRepr::float($value));
    }

    public function testDatetimeMarkersReadLikePythonDatetimeRepr(): void
    {
        $utc = (object) ['__type__' => 'datetime', '__value__' => '2026-11-24T10:00:00.250000+00:00'];
        $paris = (object) ['__type__' => 'datetime', '__value__' => '2026-01-02T03:04:00+01:00'];
        $newYork = (object) ['__type__' => 'datetime', '__value__' => '2026-01-02T03:04:05-05:00'];

        self::assertSame(
            '[datetime.datetime(2026, 11, 24, 10, 0, 0, 250000, tzinfo=datetime.timezone.utc), '
            . 'datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.timezone(datetime.timedelta(seconds=3600))), '
            . 'datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=68400)))]',
            PythonRepr::args([$utc, $paris, $newYork]),
        );
    }

    public function testTruncateCutsBackToTheLastSpace(): void
    {
        self::assertSame('hello...', PythonRepr::truncate('hello world', 8));
        self::assertSame('abcdefgh...', PythonRepr::truncate('abcdefghij', 8));
        self::assertSame('short', PythonRepr::truncate('short', 8));
    }
}
