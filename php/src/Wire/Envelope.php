<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\SerializationFailed;

/**
 * kombu's Redis envelope: the JSON text that is LPUSHed (task messages) or PUBLISHed (events,
 * broadcasts, replies). kombu's virtual transport base64-encodes the body and says so in
 * properties.body_encoding.
 *
 * @internal
 */
final class Envelope
{
    private function __construct()
    {
    }

    /**
     * @param array<string, mixed> $headers
     * @param array<string, mixed> $properties
     * @throws SerializationFailed
     */
    public static function encode(string $body, string $contentType, string $contentEncoding, array $headers, array $properties): string
    {
        return KombuJson::encode(self::fields(base64_encode($body), $contentType, $contentEncoding, $headers, $properties));
    }

    /**
     * The envelope's fields in kombu's order, the body already base64-encoded.
     *
     * @param array<string, mixed> $headers
     * @param array<string, mixed> $properties
     * @return array<string, mixed>
     */
    public static function fields(string $body, string $contentType, string $contentEncoding, array $headers, array $properties): array
    {
        return [
            'body' => $body,
            'content-encoding' => $contentEncoding,
            'content-type' => $contentType,
            'headers' => $headers === [] ? new \stdClass() : $headers,
            'properties' => $properties,
        ];
    }

    /**
     * A JSON body sent through an exchange (an event or a broadcast), with the properties
     * kombu's Producer gives it.
     *
     * @param array<string, mixed> $headers
     * @param int $deliveryMode 2 persistent, 1 transient (events)
     * @throws SerializationFailed
     */
    public static function ofJson(
        mixed $body,
        array $headers,
        string $exchange,
        string $routingKey,
        int $deliveryMode,
        string $deliveryTag,
    ): string {
        return self::encode(KombuJson::encode($body), 'application/json', 'utf-8', $headers, [
            'delivery_mode' => $deliveryMode,
            'delivery_info' => ['exchange' => $exchange, 'routing_key' => $routingKey],
            'priority' => 0,
            'body_encoding' => 'base64',
            'delivery_tag' => $deliveryTag,
        ]);
    }

    /**
     * The headers and JSON body of an envelope read back (a worker's reply); null for anything
     * that is not an envelope with a base64 JSON body.
     *
     * @return array{array<array-key, mixed>, mixed}|null
     */
    public static function decodeJson(string $envelope): ?array
    {
        $message = json_decode($envelope, true);
        if (!is_array($message) || !is_string($message['body'] ?? null)) {
            return null;
        }
        $headers = $message['headers'] ?? [];
        $body = base64_decode($message['body'], true);
        if (!is_string($body)) {
            return null;
        }
        try {
            // Python's JSON, as the worker wrote it: `inspect conf` replies hold Infinity
            // (result_backend_max_retries), which json_decode() refuses.
            $decoded = KombuJsonDecoder::decode($body);
        } catch (\UnexpectedValueException) {
            return null;
        }
        return [is_array($headers) ? $headers : [], $decoded];
    }
}
