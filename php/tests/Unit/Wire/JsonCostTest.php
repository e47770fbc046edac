<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Backend\ResultDecoder;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Wire\JsonCost;
use PHPUnit\Framework\TestCase;

/**
 * JsonCost's estimate against what json_decode() really takes (memory_get_peak_usage()): never
 * less, for the shapes that cost the most per byte and the ones results usually have.
 */
final class JsonCostTest extends TestCase
{
    /**
     * @return iterable<string, array{string}>
     */
    public static function shapes(): iterable
    {
        $n = 60000;
        yield 'empty maps' => ['[' . str_repeat('{},', $n) . '{}]'];
        yield 'zeros' => ['[' . str_repeat('0,', $n) . '0]'];
        yield 'lists of one' => ['[' . str_repeat('[0],', $n) . '[0]]'];
        yield 'maps of one' => [(string) json_encode(array_fill(0, $n, ['a' => 1]))];
        yield 'maps of nine' => [(string) json_encode(array_fill(0, 5000, array_combine(range('a', 'i'), range(1, 9))))];
        yield 'one big map' => [(string) json_encode(array_combine(array_map(fn (int $i) => "k$i", range(0, $n)), range(0, $n)))];
        yield 'result tuples' => [(string) json_encode(array_map(fn (int $i) => [[dechex($i), null], null], range(0, $n)))];
        yield 'two-character strings' => [(string) json_encode(array_map(fn (int $i) => sprintf('%02d', $i % 100), range(0, $n)))];
        yield 'floats' => [(string) json_encode(array_fill(0, $n, 1.5))];
        yield 'nested lists' => [str_repeat('[', 500) . '0' . str_repeat(']', 500)];
        yield 'text with commas' => [(string) json_encode(str_repeat('a,b:{[', $n))];
        yield 'escaped quotes' => [(string) json_encode(array_fill(0, $n, 'x"y\\'))];
    }

    /**
     * @dataProvider shapes
     */
    public function testTheEstimateIsNeverBelowWhatDecodingTakes(string $json): void
    {
        gc_collect_cycles();
        $before = memory_get_usage();
        memory_reset_peak_usage();
        $value = json_decode($json, true, 1000, JSON_THROW_ON_ERROR);
        $peak = memory_get_peak_usage() - $before;
        unset($value);

        $estimate = JsonCost::estimate($json, 0);
        self::assertGreaterThanOrEqual($peak, $estimate);
        self::assertLessThanOrEqual(JsonCost::MAX_PER_BYTE * strlen($json), $estimate);
        // Not so far above that results which fit are refused: within 4x, or the text dominates.
        self::assertLessThanOrEqual(max(4 * $peak, 3 * strlen($json)), $estimate);
    }

    public function testStringsAreCountedAsTextWhenTheBudgetIsTight(): void
    {
        $csv = (string) json_encode(str_repeat('1,2,3,[4],{5}' . "\n", 10000));

        self::assertGreaterThan(10 * strlen($csv), JsonCost::estimate($csv, PHP_INT_MAX));
        self::assertLessThan(2 * strlen($csv), JsonCost::estimate($csv, strlen($csv)));
    }

    public function testStringsAreFoundWithoutPcreToo(): void
    {
        $json = (string) json_encode(['a,"b\\' => str_repeat('[1],{"x":2}', 500), 'c' => ['d', 'e\\"']]);
        $withPcre = JsonCost::estimate($json, 0);
        $jit = (string) ini_get('pcre.jit');
        $limit = (string) ini_get('pcre.backtrack_limit');
        ini_set('pcre.jit', '0');
        ini_set('pcre.backtrack_limit', '1');
        try {
            // The precondition: PCRE gives up on such text now, so the scan does the work.
            self::assertNull(preg_replace('/"(?:[^"\\\\]++|\\\\.)*+"/s', '""', $json));
            $withoutPcre = JsonCost::estimate($json, 0);
        } finally {
            ini_set('pcre.jit', $jit);
            ini_set('pcre.backtrack_limit', $limit);
        }
        self::assertSame($withPcre, $withoutPcre);
        self::assertLessThan(2 * strlen($json), $withPcre);
    }

    public function testAResultThatWouldDecodeTooLargeIsRefusedBeforeDecoding(): void
    {
        $decoder = new ResultDecoder(500000);
        $maps = '{"status": "SUCCESS", "result": [' . str_repeat('{"a": 1}, ', 40000) . '{}]}';
        $ints = '{"status": "SUCCESS", "result": [' . str_repeat('1, ', 30000) . '1]}';

        self::assertCount(30001, $decoder->decode($ints, 't')->result);
        $this->expectException(ResultTooLarge::class);
        $this->expectExceptionMessageMatches('/^The stored result of task "t" \(\d+ bytes of JSON\) would take about '
            . '[\d.]+ MB of PHP memory to decode, more than the 1\.9 MB result_max_size allows for decoding '
            . '\(4 times its 500000 bytes\)\. Raise result_max_size/');
        $decoder->decode($maps, 't');
    }
}
