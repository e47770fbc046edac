<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

use CeleryBridge\Wire\BigInteger;
use CeleryBridge\Wire\JsonString;

/**
 * --args / --kwargs JSON read so that the worker gets exactly what was typed: objects stay
 * objects (json_decode() into arrays turns {"0": "a"} into a list and {} into []), and integers
 * beyond PHP's 64 bits stay exact (Python reads any JSON integer as an int; PHP would make it a
 * float, 12345678901234567890 -> 1.2345678901234567e+19).
 *
 * @internal
 */
final class JsonArgument
{
    /**
     * @return mixed the value: objects as stdClass, big integers as BigInteger
     * @throws UsageError when the text is not JSON
     */
    public static function decode(string $option, string $json): mixed
    {
        $nonce = "\x00celerybridge-cli-" . bin2hex(random_bytes(8)) . ':';
        [$quoted, $found] = self::quoteBigIntegers($json, $nonce);
        try {
            $value = json_decode($quoted, false, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new UsageError(sprintf('--%s is not valid JSON (%s).', $option, $e->getMessage()), 0, $e);
        }
        return $found ? self::restore($value, $nonce) : $value;
    }

    /**
     * Each integer literal outside strings that PHP cannot hold becomes a string literal holding
     * the nonce and its digits. A linear scan that skips string literals quote to quote.
     *
     * @return array{string, bool}
     */
    private static function quoteBigIntegers(string $json, string $nonce): array
    {
        $out = '';
        $copied = 0;
        $at = 0;
        $length = strlen($json);
        $found = false;
        while (($at += strcspn($json, '"-0123456789', $at)) < $length) {
            if ($json[$at] === '"') {
                $at = JsonString::end($json, $at) + 1;
                continue;
            }
            preg_match('/\G-?\d+(\.\d+)?([eE][+-]?\d+)?/', $json, $number, 0, $at);
            $token = $number[0] ?? $json[$at];
            $integer = ($number[1] ?? '') === '' && ($number[2] ?? '') === '' && $token !== '-';
            if ($integer && (string) (int) $token !== $token && preg_match('/^-?(?:0|[1-9]\d*)\z/', $token) === 1) {
                $out .= substr($json, $copied, $at - $copied) . json_encode($nonce . $token, JSON_THROW_ON_ERROR);
                $copied = $at + strlen($token);
                $found = true;
            }
            $at += strlen($token);
        }
        return [$out . substr($json, $copied), $found];
    }


    private static function restore(mixed $value, string $nonce): mixed
    {
        if (is_string($value) && str_starts_with($value, $nonce)) {
            return BigInteger::fromString(substr($value, strlen($nonce)));
        }
        if (is_array($value)) {
            return array_map(static fn (mixed $item): mixed => self::restore($item, $nonce), $value);
        }
        if ($value instanceof \stdClass) {
            foreach (get_object_vars($value) as $key => $item) {
                $value->{$key} = self::restore($item, $nonce);
            }
        }
        return $value;
    }
}
