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
        // Set one by one, in the order of the properties (this runs on every publish).
        $attributes = [];
        if ($properties->contentType !== null) {
            $attributes['content_type'] = $properties->contentType;
        }
        if ($properties->contentEncoding !== null) {
            $attributes['content_encoding'] = $properties->contentEncoding;
        }
        if ($properties->headers !== null) {
            $attributes['headers'] = self::plain($properties->headers);
        }
        if ($properties->deliveryMode !== null) {
            $attributes['delivery_mode'] = $properties->deliveryMode;
        }
        if ($properties->priority !== null) {
            $attributes['priority'] = $properties->priority;
        }
        if ($properties->correlationId !== null) {
            $attributes['correlation_id'] = $properties->correlationId;
        }
        if ($properties->replyTo !== null) {
            $attributes['reply_to'] = $properties->replyTo;
        }
        if ($properties->expiration !== null) {
            $attributes['expiration'] = $properties->expiration;
        }
        if ($properties->messageId !== null) {
            $attributes['message_id'] = $properties->messageId;
        }
        if ($properties->timestamp !== null) {
            $attributes['timestamp'] = $properties->timestamp instanceof \DateTimeInterface
                ? $properties->timestamp->getTimestamp() : $properties->timestamp;
        }
        if ($properties->type !== null) {
            $attributes['type'] = $properties->type;
        }
        if ($properties->userId !== null) {
            $attributes['user_id'] = $properties->userId;
        }
        if ($properties->appId !== null) {
            $attributes['app_id'] = $properties->appId;
        }
        return $attributes;
    }

    /**
     * Header values as the PHP types ext-amqp can write (scalars as they are).
     *
     * @param array<array-key, mixed>|\stdClass $table
     * @return array<array-key, mixed>
     */
    private static function plain(array|\stdClass $table): array
    {
        $plain = is_array($table) ? $table : get_object_vars($table);
        foreach ($plain as $key => $value) {
            if (is_array($value) || is_object($value)) {
                $plain[$key] = match (true) {
                    is_array($value), $value instanceof \stdClass => self::plain($value),
                    $value instanceof \DateTimeInterface => $value->getTimestamp(),
                    $value instanceof Decimal => $value->value / 10 ** $value->scale,
                    default => $value,
                };
            }
        }
        return $plain;
    }
}
