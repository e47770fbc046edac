<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

/**
 * Serializes and compresses a message body the way kombu's Producer does.
 *
 * Compression (see Compression) names the algorithm with a mime type in headers.compression;
 * the content type stays that of the serializer.
 *
 * @internal
 */
final class BodyEncoder
{
    /** The body serializers a task message can have (task_serializer, the serializer option). */
    public const SERIALIZERS = ['json', 'msgpack'];

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
        [$compressed, $mime] = Compression::compress($this->compression, $body);
        return [$compressed, $contentType, $contentEncoding, $mime];
    }
}
