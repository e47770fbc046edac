<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Wire\Amqp\BasicProperties;
use CeleryBridge\Wire\Amqp\Decimal;

/**
 * The publish attributes ext-amqp takes, for the publisher and the control/queue/event channel
 * alike. ext-amqp encodes the content header itself from PHP values (see ExtAmqpConnection for
 * what that changes on the wire) and takes PHP arrays only (it drops an object with a warning):
 * a table (\stdClass, e.g. the empty "stamps" Celery sends as F{}) becomes an array, which
 * ext-amqp writes as a table when it has keys and as an empty field array (A) when empty.
 * Always given when set: without a content_type ext-amqp sends "text/plain", which workers refuse.
 *
 * @internal
 */
final class ExtAmqpAttributes
{
    private function __construct()
    {
    }

    /**
     * From the properties Celery sends: ext-amqp has no other way to receive them.
     *
     * @return array<string, mixed>
     */
    public static function of(BasicProperties $properties): array
    {
        $timestamp = $properties->timestamp instanceof \DateTimeInterface ? $properties->timestamp->getTimestamp() : $properties->timestamp;
        return array_filter([
            'content_type' => $properties->contentType,
            'content_encoding' => $properties->contentEncoding,
            'headers' => $properties->headers === null ? null : self::plain($properties->headers),
            'delivery_mode' => $properties->deliveryMode,
            'priority' => $properties->priority,
            'correlation_id' => $properties->correlationId,
            'reply_to' => $properties->replyTo,
            'expiration' => $properties->expiration,
            'message_id' => $properties->messageId,
            'timestamp' => $timestamp,
            'type' => $properties->type,
            'user_id' => $properties->userId,
            'app_id' => $properties->appId,
        ], static fn (mixed $value): bool => $value !== null);
    }

    /**
     * Header values as the PHP types ext-amqp can write.
     *
     * @param array<array-key, mixed>|\stdClass $table
     * @return array<array-key, mixed>
     */
    private static function plain(array|\stdClass $table): array
    {
        $plain = [];
        foreach (is_array($table) ? $table : get_object_vars($table) as $key => $value) {
            $plain[$key] = match (true) {
                is_array($value), $value instanceof \stdClass => self::plain($value),
                $value instanceof \DateTimeInterface => $value->getTimestamp(),
                $value instanceof Decimal => $value->value / 10 ** $value->scale,
                default => $value,
            };
        }
        return $plain;
    }
}
