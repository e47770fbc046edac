<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

/**
 * Where a string literal ends in JSON text, for the scans that read JSON without decoding it
 * (the marker pre-check, the decode cost estimate, the CLI's exact arguments).
 *
 * @internal
 */
final class JsonString
{
    private function __construct()
    {
    }

    /**
     * The offset of the quote that closes the string literal opening at $open (or the end of
     * the text): the first quote not preceded by an odd number of backslashes. The opening
     * quote ends every run of backslashes, so the look-back stays inside the text.
     */
    public static function end(string $json, int $open): int
    {
        $at = $open;
        while (($at = strpos($json, '"', $at + 1)) !== false) {
            $backslashes = 0;
            while ($json[$at - 1 - $backslashes] === '\\') {
                $backslashes++;
            }
            if ($backslashes % 2 === 0) {
                return $at;
            }
        }
        return strlen($json);
    }
}
