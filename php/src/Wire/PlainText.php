<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

/**
 * Whether a name or header value holds ASCII control characters (C0 and DEL), which no task
 * name, queue, id or header a worker reads may carry. Checked with ctype and strcspn, not a
 * regular expression: compiling one costs a fresh process 25-50 µs, and the common name
 * (printable ASCII) is answered by one ctype call.
 *
 * @internal
 */
final class PlainText
{
    private const CONTROL = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
        . "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f";

    private function __construct()
    {
    }

    /**
     * @param bool $orSpace whether a space counts too (task names, client names)
     */
    public static function hasControl(string $text, bool $orSpace = false): bool
    {
        // Printable ASCII has none; other text (UTF-8 beyond ASCII) is checked byte by byte.
        if ($orSpace ? ctype_graph($text) : ctype_print($text)) {
            return false;
        }
        return strcspn($text, $orSpace ? self::CONTROL . ' ' : self::CONTROL) !== strlen($text);
    }
}
