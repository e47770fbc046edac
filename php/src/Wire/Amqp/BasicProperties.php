<?php

declare(strict_types=1);

namespace CeleryBridge\Wire\Amqp;

use CeleryBridge\Exception\SerializationFailed;

/**
 * The 14 properties of an AMQP basic content header (class 60). Only these exist on the wire:
 * what else kombu keeps in a message's properties (delivery_info, delivery_tag, body_encoding,
 * argsrepr...) is dropped by py-amqp without a word, and has no place here.
 *
 * A property is sent when it is not null; its flag bit says so. Celery's task messages set
 * content_type, content_encoding, headers, delivery_mode, priority (not when a queue is
 * given explicitly), correlation_id, reply_to, and expiration when the task expires.
 *
 * @internal
 */
final class BasicProperties
{
    /**
     * Name => AMQP type, in flag order: the first is bit 15 of the flag word, the 14th bit 2.
     * ("headers" is the spec's and py-amqp's "application_headers".)
     */
    private const FIELDS = [
        'content_type' => 'shortstr',
        'content_encoding' => 'shortstr',
        'headers' => 'table',
        'delivery_mode' => 'octet',
        'priority' => 'octet',
        'correlation_id' => 'shortstr',
        'reply_to' => 'shortstr',
        'expiration' => 'shortstr',
        'message_id' => 'shortstr',
        'timestamp' => 'timestamp',
        'type' => 'shortstr',
        'user_id' => 'shortstr',
        'app_id' => 'shortstr',
        'cluster_id' => 'shortstr',
    ];

    /**
     * @param array<array-key, mixed>|\stdClass|null $headers the application header table
     * @param int|null $deliveryMode 2 persistent, 1 transient
     * @param int|null $priority 0..255; a queue declared with x-max-priority N honours 0..N, higher first
     * @param string|null $expiration a per-message TTL in milliseconds, as decimal text ("300000")
     * @param \DateTimeInterface|int|null $timestamp whole seconds since the epoch
     */
    public function __construct(
        public readonly ?string $contentType = null,
        public readonly ?string $contentEncoding = null,
        public readonly array|\stdClass|null $headers = null,
        public readonly ?int $deliveryMode = null,
        public readonly ?int $priority = null,
        public readonly ?string $correlationId = null,
        public readonly ?string $replyTo = null,
        public readonly ?string $expiration = null,
        public readonly ?string $messageId = null,
        public readonly \DateTimeInterface|int|null $timestamp = null,
        public readonly ?string $type = null,
        public readonly ?string $userId = null,
        public readonly ?string $appId = null,
        public readonly ?string $clusterId = null,
    ) {
    }

    /**
     * From py-amqp's names (content_type, headers or application_headers, delivery_mode, ...).
     *
     * @param array<string, mixed> $properties
     * @throws SerializationFailed for a name that is not an AMQP basic property or a value of
     *         the wrong type
     */
    public static function fromArray(array $properties): self
    {
        $values = [];
        foreach ($properties as $name => $value) {
            $field = $name === 'application_headers' ? 'headers' : (string) $name;
            if (!array_key_exists($field, self::FIELDS)) {
                throw SerializationFailed::because(sprintf(
                    '"%s" is not an AMQP basic property; the properties are %s.',
                    $name,
                    implode(', ', array_keys(self::FIELDS)),
                ));
            }
            $values[lcfirst(str_replace('_', '', ucwords($field, '_')))] = $value;
        }
        try {
            return new self(...$values);
        } catch (\TypeError $error) {
            throw SerializationFailed::because('An AMQP basic property has a value of the wrong type: '
                . $error->getMessage(), $error);
        }
    }

    /**
     * The property flags (one 16-bit word: 14 properties fit, so no continuation bit) and the
     * values of the properties present, in flag order.
     *
     * @throws SerializationFailed
     */
    public function encode(): string
    {
        $flags = 0;
        $list = '';
        $bit = 15;
        foreach ($this->values() as $name => $value) {
            if ($value !== null) {
                $flags |= 1 << $bit;
                $list .= match (self::FIELDS[$name]) {
                    'shortstr' => Octets::shortString($value, "property $name"),
                    'octet' => Octets::octet($value, "property $name"),
                    'table' => FieldTable::encode($value),
                    'timestamp' => Octets::unsignedLongLong(
                        $value instanceof \DateTimeInterface ? $value->getTimestamp() : $value,
                        'property timestamp',
                    ),
                };
            }
            $bit--;
        }
        return Octets::short($flags) . $list;
    }

    /**
     * @return array<string, mixed> in flag order
     */
    private function values(): array
    {
        return array_combine(array_keys(self::FIELDS), [
            $this->contentType,
            $this->contentEncoding,
            $this->headers,
            $this->deliveryMode,
            $this->priority,
            $this->correlationId,
            $this->replyTo,
            $this->expiration,
            $this->messageId,
            $this->timestamp,
            $this->type,
            $this->userId,
            $this->appId,
            $this->clusterId,
        ]);
    }
}
