<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Wire\KombuMarker;
use PHPUnit\Framework\TestCase;

/**
 * The markers issue 23 found reaching workers that could not decode them, and what kombu's
 * decoder makes of their neighbours. tests/test_marker_differential.py compares the rules with
 * kombu itself on thousands more.
 */
final class KombuMarkerTest extends TestCase
{
    /**
     * @return iterable<string, array{string, string}>
     */
    public static function refused(): iterable
    {
        yield 'uuid with a brace inside' => ['uuid', '{"hex": "1234{5678-1234-5678-1234-567812345678}"}'];
        yield 'uuid with urn: in upper case' => ['uuid', '{"hex": "URN:UUID:12345678-1234-5678-1234-567812345678"}'];
        yield 'uuid with two underscores' => ['uuid', '{"hex": "1234__5678123456781234567812345678"}'];
        yield 'uuid with full-width letters' => ['uuid', '{"hex": "ＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡ"}'];
        yield 'uuid from bytes' => ['uuid', '{"bytes": "aaaaaaaaaaaaaaaa"}'];
        yield 'uuid with two sources' => ['uuid', '{"hex": "12345678123456781234567812345678", "int": 1}'];
        yield 'uuid version 6' => ['uuid', '{"int": 1, "version": 6}'];
        yield 'uuid field out of range' => ['uuid', '{"fields": [0, 0, 0, 256, 0, 0]}'];
        yield 'decimal exponent beyond libmpdec' => ['decimal', '"1e99999999999999999999"'];
        yield 'decimal adjusted exponent one too far' => ['decimal', '"10e999999999999999999"'];
        yield 'decimal below etiny' => ['decimal', '"1e-1999999999999999998"'];
        yield 'decimal with a space inside' => ['decimal', '"1 2"'];
        yield 'decimal tuple with a bad sign' => ['decimal', '[2, [1], 0]'];
        yield 'decimal as a map' => ['decimal', '{"0": 0, "1": [1], "2": 0}'];
        yield 'base64 without padding' => ['base64', '"QUJ"'];
        yield 'base64 of one character' => ['base64', '"QUJDR"'];
        yield 'time with an offset of a day' => ['time', '"12:00+23:60"'];
    }

    /**
     * @dataProvider refused
     */
    public function testWhatKombuCannotDecodeIsRefused(string $type, string $json): void
    {
        $this->expectException(\UnexpectedValueException::class);
        KombuMarker::decode($type, json_decode($json, false, 16, JSON_THROW_ON_ERROR));
    }

    /**
     * @return iterable<string, array{string, string, string}>
     */
    public static function read(): iterable
    {
        yield 'uuid in braces' => ['uuid', '{"hex": "{12345678-1234-5678-1234-56781234567A}"}', '12345678-1234-5678-1234-56781234567a'];
        yield 'uuid with urn:uuid:' => [
            'uuid',
            '{"hex": "urn:uuid:12345678123456781234567812345678"}',
            '12345678-1234-5678-1234-567812345678',
        ];
        yield 'uuid with 0x and underscores' => [
            'uuid',
            '{"hex": "0x_1_23456789abcdef0123456789abc"}',
            '00001234-5678-9abc-def0-123456789abc',
        ];
        yield 'uuid in Arabic-Indic digits' => [
            'uuid',
            '{"hex": "' . str_repeat("\u{661}", 32) . '"}',
            '11111111-1111-1111-1111-111111111111',
        ];
        yield 'uuid from int with version' => ['uuid', '{"int": 0, "version": 4}', '00000000-0000-4000-8000-000000000000'];
        yield 'uuid from fields' => ['uuid', '{"fields": [1, 2, 3, 4, 5, 6]}', '00000001-0002-0003-0405-000000000006'];
        yield 'decimal at the largest exponent' => ['decimal', '"1e999999999999999999"', '1e999999999999999999'];
        yield 'decimal with underscores and spaces' => ['decimal', "\" 1__0.5_\u{3000}\"", '10.5'];
        yield 'decimal in Devanagari digits' => ['decimal', "\"\u{967}.\u{96b}\"", '1.5'];
        yield 'decimal tuple' => ['decimal', '[1, [1, 2], -1]', '-12E-1'];
        yield 'decimal NaN payload' => ['decimal', '"-sNaN12"', '-sNaN12'];
        yield 'base64 padded' => ['base64', '"QUJ="', 'AB'];
        yield 'base64 stops at the padding' => ['base64', '"QUI=QUJD"', 'AB'];
        yield 'base64 skips what is not base64' => ['base64', '"QU*J\nD"', 'ABC'];
    }

    /**
     * @dataProvider read
     */
    public function testWhatKombuDecodesIsRead(string $type, string $json, string $expected): void
    {
        self::assertSame($expected, KombuMarker::decode($type, json_decode($json, false, 16, JSON_THROW_ON_ERROR)));
    }
}
