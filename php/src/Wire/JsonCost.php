<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

/**
 * An upper estimate of the PHP memory json_decode() takes for a JSON text, from the text alone:
 * decoding costs far more than the text for small containers (16 MB of "[{}, {}, ...]" is a
 * 128 MB array; a list of one-key maps takes about 50 times its JSON), so the size of the text
 * alone does not bound it.
 *
 * What PHP 8.2 allocates (measured with memory_get_peak_usage()): every non-empty array a
 * 56-byte header and room for 8 elements (16 bytes each in a list, 40 with the hash in a map);
 * every element beyond that its slot, with the table doubling as it grows and the old table
 * alive while it is copied (up to 3 times the slot per element); every string longer than one
 * byte a 24-byte header with its bytes, rounded up to the allocator's size; empty arrays,
 * numbers, true, false and null nothing but their slot.
 *
 * @internal
 */
final class JsonCost
{
    /** The most estimate() gives per byte of JSON (for "[[0],[0],...": a list of lists of one). */
    public const MAX_PER_BYTE = 200;

    private const ARRAY_HEADER = 56;
    private const LIST_MINIMUM = 8 * 16;
    private const MAP_MINIMUM = 8 * 40;
    private const LIST_ELEMENT = 3 * 16;
    private const MAP_ELEMENT = 3 * 40;
    private const STRING_HEADER = 32;

    private function __construct()
    {
    }

    /**
     * The estimate in bytes. Counting the structural characters of the whole text is cheap but
     * also counts those inside strings (a CSV in a string is full of commas); when that count is
     * over $budget, it is done again outside the strings.
     */
    public static function estimate(string $json, int $budget): int
    {
        $quick = self::fromStructure($json, strlen($json));
        return $quick <= $budget ? $quick : self::fromStructure(self::withoutStringContents($json), strlen($json));
    }

    /**
     * @param string $structure the JSON, or the JSON with every string emptied
     * @param int $length the JSON's length: what every string's bytes take at most
     */
    private static function fromStructure(string $structure, int $length): int
    {
        $maps = substr_count($structure, '{') - substr_count($structure, '{}');
        $lists = substr_count($structure, '[') - substr_count($structure, '[]');
        // Every element of a map has its colon; the others, one more than the commas, are in lists.
        $mapElements = substr_count($structure, ':');
        $listElements = max(0, substr_count($structure, ',') + $maps + $lists - $mapElements);
        // The allocator rounds a string up to its size class (a large one to whole 4 KB pages):
        // up to a third more than its bytes.
        return $length + intdiv($length, 3)
            + intdiv(substr_count($structure, '"'), 2) * self::STRING_HEADER
            + $maps * (self::ARRAY_HEADER + self::MAP_MINIMUM)
            + $lists * (self::ARRAY_HEADER + self::LIST_MINIMUM)
            + $mapElements * self::MAP_ELEMENT
            + $listElements * self::LIST_ELEMENT;
    }

    /**
     * The text with every string literal replaced by "". The possessive pattern never
     * backtracks; should PCRE still give up (its limits), a scan from quote to quote does it.
     */
    private static function withoutStringContents(string $json): string
    {
        $emptied = preg_replace('/"(?:[^"\\\\]++|\\\\.)*+"/s', '""', $json);
        if (is_string($emptied)) {
            return $emptied;
        }
        $out = '';
        $at = 0;
        while (($open = strpos($json, '"', $at)) !== false) {
            $out .= substr($json, $at, $open - $at) . '""';
            $at = JsonString::end($json, $open) + 1;
        }
        return $out . substr($json, $at);
    }
}
