<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

// Imported, so that PHP calls them without first looking for CeleryBridge\Wire\substr() etc.
// (chr and ord become opcodes): pair() runs on every publish.
use function bin2hex;
use function chr;
use function ord;
use function random_bytes;
use function substr;

/**
 * Random (version 4) UUIDs, the form Celery uses for task ids and kombu for delivery tags.
 *
 * @internal
 */
final class Uuid
{
    public static function v4(): string
    {
        return self::fromBytes(random_bytes(16));
    }

    /**
     * Two at once (a task id and its delivery tag), from one read of the system's random source.
     *
     * @return array{string, string}
     */
    public static function pair(): array
    {
        // fromBytes() twice, inline: this runs on every publish.
        $bytes = random_bytes(32);
        $bytes[6] = chr((ord($bytes[6]) & 0x0f) | 0x40);
        $bytes[8] = chr((ord($bytes[8]) & 0x3f) | 0x80);
        $bytes[22] = chr((ord($bytes[22]) & 0x0f) | 0x40);
        $bytes[24] = chr((ord($bytes[24]) & 0x3f) | 0x80);
        $hex = bin2hex($bytes);
        return [
            substr($hex, 0, 8) . '-' . substr($hex, 8, 4) . '-' . substr($hex, 12, 4) . '-'
                . substr($hex, 16, 4) . '-' . substr($hex, 20, 12),
            substr($hex, 32, 8) . '-' . substr($hex, 40, 4) . '-' . substr($hex, 44, 4) . '-'
                . substr($hex, 48, 4) . '-' . substr($hex, 52, 12),
        ];
    }

    private static function fromBytes(string $bytes): string
    {
        // Version 4 (random), variant 10xx (RFC 4122).
        $bytes[6] = chr((ord($bytes[6]) & 0x0f) | 0x40);
        $bytes[8] = chr((ord($bytes[8]) & 0x3f) | 0x80);
        // fromHex()'s formatting, inline: two per publish, and the call costs about 200
        // instructions each (make bench, callgrind).
        $hex = bin2hex($bytes);
        return substr($hex, 0, 8) . '-' . substr($hex, 8, 4) . '-' . substr($hex, 12, 4) . '-'
            . substr($hex, 16, 4) . '-' . substr($hex, 20, 12);
    }

    /**
     * The canonical 8-4-4-4-12 form of 32 lower-case hex digits.
     */
    public static function fromHex(string $hex): string
    {
        return substr($hex, 0, 8) . '-' . substr($hex, 8, 4) . '-' . substr($hex, 12, 4) . '-'
            . substr($hex, 16, 4) . '-' . substr($hex, 20, 12);
    }
}
