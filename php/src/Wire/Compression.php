<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\SerializationFailed;

/**
 * kombu's compression registry, for both directions: a message body is compressed under a name
 * Celery accepts and says so with a mime type (headers.compression), and a stored result says
 * which one it was compressed with (result_compression). kombu resolves names and mime types
 * alike when reading, so both are accepted here too. kombu's "zlib"/"gzip" is a zlib stream
 * (gzcompress), not a gzip file.
 *
 * @internal
 */
final class Compression
{
    /** The names Celery accepts for task_compression and the compression option. */
    public const NAMES = ['zlib', 'gzip', 'bzip2', 'bzip'];

    public const ZLIB = 'application/x-gzip';
    public const BZIP2 = 'application/x-bz2';

    private const MIME_TYPES = [
        'zlib' => self::ZLIB,
        'gzip' => self::ZLIB,
        self::ZLIB => self::ZLIB,
        'bzip2' => self::BZIP2,
        'bzip' => self::BZIP2,
        self::BZIP2 => self::BZIP2,
    ];

    private function __construct()
    {
    }

    /**
     * The mime type kombu writes for a compression name (or reads for a name or mime type);
     * null when it is not zlib or bzip2.
     */
    public static function mimeType(string $nameOrType): ?string
    {
        return self::MIME_TYPES[$nameOrType] ?? null;
    }

    /**
     * @param string $name one of self::NAMES
     * @return array{string, string} the compressed bytes and their mime type
     * @throws SerializationFailed when PHP lacks the extension
     */
    public static function compress(string $name, string $body): array
    {
        $mime = self::MIME_TYPES[$name];
        $compressed = match ($mime) {
            self::ZLIB => function_exists('gzcompress') ? gzcompress($body) : null,
            default => function_exists('bzcompress') ? bzcompress($body) : null,
        };
        if (!is_string($compressed)) {
            throw SerializationFailed::because(sprintf(
                'Compression "%s" needs PHP\'s %s extension, which is not loaded (or compressing failed).',
                $name,
                $mime === self::ZLIB ? 'zlib' : 'bz2',
            ));
        }
        return [$compressed, $mime];
    }
}
