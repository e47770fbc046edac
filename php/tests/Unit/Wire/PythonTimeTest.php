<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Wire\PythonTime;
use PHPUnit\Framework\TestCase;

final class IsoTimeTest extends TestCase
{
    /**
     * @return iterable<string, array{string, string}>
     */
    public static function accepted(): iterable
    {
        yield 'date only' => ['2026-11-24', '2026-11-24T00:00:00+00:00'];
        yield 'Z' => ['2026-11-24T01:02:03Z', '2026-11-24T01:02:03+00:00'];
        yield 'no offset is UTC, as workers read it' => ['2026-11-24T01:02:03', '2026-11-24T01:02:03+00:00'];
        yield 'space and compact offset' => ['2026-11-24 01:02:03.5+0530', '2026-11-23T19:32:03.500000+00:00'];
        yield 'hour-only offset' => ['2026-11-24T01:02+01', '2026-11-24T00:02:00+00:00'];
        yield 'nanoseconds truncated to micro' => ['2026-11-24T01:02:03.123456789-07:00', '2026-11-24T08:02:03.123456+00:00'];
    }

    /**
     * @dataProvider accepted
     */
    public function testParsesWhatDateutilIsoparseAccepts(string $text, string $utc): void
    {
        $time = PythonTime::isoparse($text);
        self::assertNotNull($time);
        // What Celery writes: isoformat() of the aware UTC datetime.
        self::assertSame($utc, PythonTime::isoformat($time->setTimezone(new \DateTimeZone('UTC'))));
    }

    /**
     * @return iterable<string, array{string}>
     */
    public static function rejected(): iterable
    {
        yield 'relative' => ['tomorrow'];
        yield 'trailing newline' => ["2026-11-24T01:02:03+00:00\n"];
        yield 'php relative' => ['+1 day'];
        yield 'impossible date' => ['2026-02-30T00:00:00Z'];
        yield 'space before offset' => ['2026-11-24T01:02:03 +00:00'];
        yield 'epoch' => ['1764000000'];
        yield 'empty' => [''];
        yield 'hour 24' => ['2026-11-24T24:00:00Z'];
    }

    /**
     * @dataProvider rejected
     */
    public function testRejectsWhatAWorkerWouldDrop(string $text): void
    {
        self::assertNull(PythonTime::isoparse($text));
    }

    public function testAnOffsetWithSecondsKeepsThem(): void
    {
        // Python writes and reads +HH:MM:SS (local mean time zones); "P" alone would cut it.
        foreach (['2000-01-01T00:00:00+00:30:32', '1880-06-01T08:30:00.500000-04:56:02'] as $text) {
            self::assertSame($text, PythonTime::isoformat(PythonTime::fromisoformat($text)));
        }
        $amsterdam = new \DateTimeImmutable('1900-01-01 12:00:00', new \DateTimeZone('Europe/Amsterdam'));
        self::assertSame('1900-01-01T12:00:00+00:19:32', PythonTime::isoformat($amsterdam));
    }
}
