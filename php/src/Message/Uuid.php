<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

/**
 * Random (version 4) UUIDs, the form Celery uses for task ids and kombu for delivery tags.
 *
 * @internal
 */
final class Uuid
{
    public static function v4(): string
    {
        $bytes = random_bytes(16);
        $bytes[6] = chr((ord($bytes[6]) & 0x0f) | 0x40);
        $bytes[8] = chr((ord($bytes[8]) & 0x3f) | 0x80);
        return self::fromHex(bin2hex($bytes));
    }

    /**
     * The canonical 8-4-4-4-12 form of 32 lower-case hex digits.
     */
    public static function fromHex(string $hex): string
    {
        return sprintf(
            '%s-%s-%s-%s-%s',
            substr($hex, 0, 8),
            substr($hex, 8, 4),
            substr($hex, 12, 4),
            substr($hex, 16, 4),
            substr($hex, 20, 12),
        );
    }
}
