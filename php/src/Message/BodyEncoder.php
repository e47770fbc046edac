<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Exception\SerializationFailed;

/**
 * Serializes and compresses a message body the way kombu's Producer does.
 *
 * Compression names the algorithm with a mime type in headers.compression; the content type
 * stays that of the serializer. kombu's "zlib"/"gzip" is a zlib stream (gzcompress), not a gzip file.
 *
 * @internal
 */
final class BodyEncoder
{
    /** The body serializers a task message can have (task_serializer, the serializer option). */
    public const SERIALIZERS = ['json', 'msgpack'];

    /** The compressions, under the names Celery accepts (task_compression, the compression option). */
    public const COMPRESSIONS = ['zlib', 'gzip', 'bzip2', 'bzip'];

    private const COMPRESSION_TYPES = [
        'zlib' => 'application/x-gzip',
        'gzip' => 'application/x-gzip',
        'bzip2' => 'application/x-bz2',
        'bzip' => 'application/x-bz2',
    ];

    public function __construct(
        public readonly string $serializer = 'json',
        public readonly ?string $compression = null,
    ) {
    }

    /**
     * @return array{string, string, string, ?string} body, content type, content encoding, compression mime type
     */
    public function encode(mixed $normalizedBody): array
    {
        [$body, $contentType, $contentEncoding] = $this->serializer === 'msgpack'
            ? [Msgpack::pack($normalizedBody), 'application/x-msgpack', 'binary']
            : [KombuJson::encode($normalizedBody), 'application/json', 'utf-8'];
        if ($this->compression === null) {
            return [$body, $contentType, $contentEncoding, null];
        }
        $mime = self::COMPRESSION_TYPES[$this->compression];
        $compressed = match ($mime) {
            'application/x-gzip' => function_exists('gzcompress') ? gzcompress($body) : null,
            default => function_exists('bzcompress') ? bzcompress($body) : null,
        };
        if (!is_string($compressed)) {
            throw SerializationFailed::because(sprintf(
                'Compression "%s" needs PHP\'s %s extension, which is not loaded (or compressing failed).',
                $this->compression,
                $mime === 'application/x-gzip' ? 'zlib' : 'bz2',
            ));
        }
        return [$compressed, $contentType, $contentEncoding, $mime];
    }
}
