<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\Describe;

/**
 * Reads JSON as Python's json module and kombu write it: bare NaN, Infinity and -Infinity,
 * integers of any size (kept as strings beyond PHP's), lone surrogates, and kombu's
 * {"__type__", "__value__"} markers turned into values (KombuMarker). Maps become PHP arrays.
 *
 * @internal
 */
final class KombuJsonDecoder
{
    /** Python's json module stops near 1000 levels (its recursion limit), so nothing deeper is real. */
    private const MAX_DEPTH = 1100;

    private function __construct()
    {
    }

    /**
     * Decodes Python/kombu JSON text: maps become PHP arrays, kombu markers become values.
     *
     * @throws \UnexpectedValueException
     */
    public static function decode(string $json): mixed
    {
        $first = ltrim(substr($json, 0, 64), " \t\r\n");
        if ($first === '' || !in_array($first[0], ['{', '[', '"', '-', 't', 'f', 'n', 'N', 'I'], true) && !ctype_digit($first[0])) {
            throw new \UnexpectedValueException(sprintf(
                'it is not JSON (it starts with %s); CeleryBridge reads the json result_serializer only.',
                Describe::value(substr($json, 0, 16)),
            ));
        }
        $tokens = [];
        // Bare NaN/Infinity are the only non-JSON tokens Python's encoder emits. They become
        // strings carrying a random nonce, which no stored value can contain, and are turned
        // into floats while walking the decoded value.
        if (str_contains($json, 'NaN') || str_contains($json, 'Infinity')) {
            [$json, $tokens] = self::quoteNonFinite($json);
        }
        try {
            $value = json_decode($json, true, self::MAX_DEPTH, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            if ($e->getCode() !== JSON_ERROR_UTF16) {
                throw new \UnexpectedValueException(sprintf('it is not valid JSON (%s).', $e->getMessage()), 0, $e);
            }
            $value = self::decodeWithLoneSurrogates($json);
        }
        // A marker needs the key __type__: written plainly, or with one of its letters \u-escaped.
        $markers = str_contains($json, '__type__') || preg_match('/\\\\u00(?:5f|65|70|74|79)/i', $json) === 1;
        if (is_array($value) && ($tokens !== [] || $markers)) {
            self::walk($value, $tokens);
        } elseif (is_string($value) && isset($tokens[$value])) {
            $value = $tokens[$value];
        }
        return $value;
    }

    /**
     * A Python str may hold a lone surrogate (os.fsdecode() turns bytes that are not UTF-8 into
     * U+DC80..U+DCFF), and Python's json writes and reads it as a \u escape. PHP strings are
     * UTF-8, which cannot hold one: each becomes U+FFFD, as JSON_INVALID_UTF8_SUBSTITUTE does for
     * bad bytes. Escapes are matched left to right, so an escaped backslash is never misread.
     *
     * @throws \UnexpectedValueException
     */
    private static function decodeWithLoneSurrogates(string $json): mixed
    {
        $json = preg_replace_callback(
            '/\\\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[dD][89a-fA-F][0-9a-fA-F]{2}|[^u])/',
            static fn (array $escape): string => strlen($escape[0]) === 6 ? '\\ufffd' : $escape[0],
            $json,
        );
        try {
            return json_decode((string) $json, true, self::MAX_DEPTH, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            throw new \UnexpectedValueException(sprintf('it is not valid JSON (%s).', $e->getMessage()), 0, $e);
        }
    }

    /**
     * Replaces the bare NaN, Infinity and -Infinity tokens outside strings. A linear scan: string
     * literals are skipped with strpos() from quote to quote, so the cost does not depend on
     * their content (a backtracking pattern gave up on long strings full of escapes).
     *
     * @return array{string, array<string, float>}
     */
    private static function quoteNonFinite(string $json): array
    {
        $nonce = "\x00celerybridge-" . bin2hex(random_bytes(12)) . '-';
        $tokens = [$nonce . 'NaN' => NAN, $nonce . 'Infinity' => INF, $nonce . '-Infinity' => -INF];
        $out = '';
        $length = strlen($json);
        $copied = 0;
        $at = 0;
        while (($at += strcspn($json, '"NI', $at)) < $length) {
            if ($json[$at] === '"') {
                $at = JsonString::end($json, $at) + 1;
                continue;
            }
            $token = match (true) {
                substr_compare($json, 'NaN', $at, 3) === 0 => 'NaN',
                substr_compare($json, 'Infinity', $at, 8) === 0 => 'Infinity',
                default => null,
            };
            if ($token === null) {
                // Not JSON at all; json_decode() will say so.
                $at++;
                continue;
            }
            $start = $at > 0 && $json[$at - 1] === '-' ? $at - 1 : $at;
            $out .= substr($json, $copied, $start - $copied)
                . json_encode($nonce . ($start < $at ? '-' : '') . $token, JSON_THROW_ON_ERROR);
            $at += strlen($token);
            $copied = $at;
        }
        return $copied === 0 ? [$json, []] : [$out . substr($json, $copied), $tokens];
    }


    /**
     * Turns nonce strings into NaN/Infinity and markers into values, in place: the decoded value
     * is modified where it lies instead of copied level by level, so a large result costs no
     * second copy. kombu's object_hook runs bottom-up, so inner values are decoded before the
     * marker that holds them.
     *
     * @param array<array-key, mixed> $value
     * @param array<string, float> $tokens
     */
    private static function walk(array &$value, array $tokens): void
    {
        // Index the array itself (no foreach copy); only a map needs its keys listed.
        $keys = array_is_list($value) ? null : array_keys($value);
        $count = count($value);
        for ($i = 0; $i < $count; $i++) {
            $key = $keys === null ? $i : $keys[$i];
            if (is_array($value[$key])) {
                self::walk($value[$key], $tokens);
            } elseif ($tokens !== [] && is_string($value[$key]) && isset($tokens[$value[$key]])) {
                $value[$key] = $tokens[$value[$key]];
            }
        }
        if ($count === 2 && array_key_exists('__type__', $value) && array_key_exists('__value__', $value)) {
            $value = KombuMarker::decode($value['__type__'], $value['__value__']);
        }
    }
}
