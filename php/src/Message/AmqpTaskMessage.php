<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Wire\Amqp\BasicProperties;
use CeleryBridge\Wire\Amqp\BasicPublish;
use CeleryBridge\Wire\Amqp\ContentHeader;

/**
 * A task message as it goes over AMQP: basic.publish to an exchange with a routing key, a
 * content header (basic properties, the header table) and the raw body.
 *
 * Built from the same TaskMessage the Redis transport sends. What kombu's Redis envelope has
 * and AMQP has not: the body is not base64 (no body_encoding); delivery_info becomes the
 * basic.publish arguments; delivery_tag is assigned by the broker; argsrepr/kwargsrepr and any
 * other non-AMQP property are dropped, as py-amqp drops them.
 *
 * @internal
 */
final class AmqpTaskMessage
{
    /** The envelope's properties that are AMQP properties too (content type, encoding and headers aside). */
    private const PROPERTIES = [
        'delivery_mode', 'priority', 'correlation_id', 'reply_to', 'expiration', 'message_id',
        'timestamp', 'type', 'user_id', 'app_id', 'cluster_id',
    ];

    public function __construct(
        public readonly string $exchange,
        public readonly string $routingKey,
        public readonly BasicProperties $properties,
        public readonly string $body,
        /** The properties already encoded (by AmqpTaskTemplate), or null: encoded from $properties. */
        private readonly ?string $encoded = null,
    ) {
    }

    /**
     * The same message to another exchange and routing key.
     */
    public function to(string $exchange, string $routingKey): self
    {
        return new self($exchange, $routingKey, $this->properties, $this->body, $this->encoded);
    }

    /**
     * The content header's property part (flags and values), as BasicProperties::encode() writes it.
     *
     * @throws SerializationFailed
     */
    public function encodedProperties(): string
    {
        return $this->encoded ?? $this->properties->encode();
    }

    /**
     * @param bool $withPriority false leaves the priority property out, as Celery's
     *        apply_async(queue=...) does (send_task(queue=...) sends 0); a worker reads the
     *        missing priority as none, a classic queue without x-max-priority ignores it anyway
     * @throws SerializationFailed for a property value AMQP cannot carry
     */
    public static function fromTaskMessage(TaskMessage $message, bool $withPriority = true): self
    {
        $properties = array_intersect_key($message->properties, array_flip(self::PROPERTIES));
        if (!$withPriority) {
            unset($properties['priority']);
        }
        $delivery = $message->properties['delivery_info'] ?? [];
        return new self(
            (string) ($delivery['exchange'] ?? ''),
            (string) ($delivery['routing_key'] ?? ''),
            BasicProperties::fromArray([
                'content_type' => $message->contentType,
                'content_encoding' => $message->contentEncoding,
                // Protocol 1 sends an empty table, and the flag for it.
                'headers' => $message->headers === [] ? new \stdClass() : $message->headers,
            ] + $properties),
            $message->body,
        );
    }

    /**
     * The basic.publish method frame's payload.
     *
     * @throws SerializationFailed
     */
    public function publishMethod(bool $mandatory = false): string
    {
        return BasicPublish::encode($this->exchange, $this->routingKey, $mandatory);
    }

    /**
     * The content header frame's payload.
     *
     * @throws SerializationFailed
     */
    public function contentHeader(): string
    {
        return ContentHeader::encode(strlen($this->body), $this->properties);
    }
}
