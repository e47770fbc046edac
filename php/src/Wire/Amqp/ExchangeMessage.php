<?php

declare(strict_types=1);

namespace CeleryBridge\Wire\Amqp;

use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Wire\KombuJson;

/**
 * A message kombu's Producer publishes through a named exchange over AMQP: an event on
 * "celeryev" (a topic exchange there, where Redis emulates a fanout one), a remote control
 * command on "<control_exchange>.pidbox" (fanout), a worker's reply on "reply.<...>.pidbox"
 * (direct). What the worker reads is the same as on Redis; only the framing differs:
 *
 *   - the body is the raw JSON, not base64 (no body_encoding property);
 *   - the envelope's delivery_info becomes the basic.publish exchange and routing key;
 *   - delivery_tag does not exist (the broker numbers deliveries);
 *   - the headers become the header table, with py-amqp's type letters: an event's
 *     {hostname: S}, a command's {clock: I, expires: d} (I 0 when it has no timeout), a
 *     reply's {ticket: S, clock: I};
 *   - the properties are content_type, content_encoding, headers, delivery_mode (1 for events
 *     and replies, 2 for commands: kombu applies the exchange's transient mode only when the
 *     exchange object is passed) and priority 0: property flags 0xf800.
 *
 * @internal
 */
final class ExchangeMessage
{
    public function __construct(
        public readonly string $exchange,
        public readonly string $routingKey,
        public readonly BasicProperties $properties,
        public readonly string $body,
    ) {
    }

    /**
     * A JSON body with the properties kombu's Producer gives it (Envelope::ofJson() on Redis).
     *
     * @param array<string, mixed> $headers
     * @throws SerializationFailed
     */
    public static function ofJson(mixed $body, array $headers, string $exchange, string $routingKey, int $deliveryMode): self
    {
        return new self($exchange, $routingKey, new BasicProperties(
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            headers: $headers === [] ? new \stdClass() : $headers,
            deliveryMode: $deliveryMode,
            priority: 0,
        ), KombuJson::encode($body));
    }

    /**
     * The same message from kombu's Redis envelope (what Envelope::ofJson() built for an event
     * or a broadcast): the base64 body decoded, delivery_info turned into the publish arguments.
     * Integer headers stay integers (I), fractional ones doubles (d): the envelope's JSON keeps
     * the difference (its floats are written with their fraction).
     *
     * @throws SerializationFailed for anything that is not a kombu envelope
     */
    public static function fromEnvelope(string $envelope): self
    {
        try {
            $message = json_decode($envelope, true, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw SerializationFailed::because('A kombu envelope to publish over AMQP is not JSON: ' . $e->getMessage(), $e);
        }
        $body = is_array($message) && is_string($message['body'] ?? null) ? base64_decode($message['body'], true) : false;
        $properties = is_array($message) ? ($message['properties'] ?? null) : null;
        if (!is_string($body) || !is_array($properties)) {
            throw SerializationFailed::because('A kombu envelope to publish over AMQP needs a base64 body and properties.');
        }
        $headers = $message['headers'] ?? [];
        $delivery = is_array($properties['delivery_info'] ?? null) ? $properties['delivery_info'] : [];
        return new self(
            (string) ($delivery['exchange'] ?? ''),
            (string) ($delivery['routing_key'] ?? ''),
            BasicProperties::fromArray([
                'content_type' => (string) ($message['content-type'] ?? 'application/json'),
                'content_encoding' => (string) ($message['content-encoding'] ?? 'utf-8'),
                'headers' => is_array($headers) && $headers !== [] ? $headers : new \stdClass(),
                'delivery_mode' => (int) ($properties['delivery_mode'] ?? 2),
                'priority' => (int) ($properties['priority'] ?? 0),
            ]),
            $body,
        );
    }

    /**
     * The basic.publish method frame's payload (mandatory stays false: a broadcast nobody
     * listens to and an event nobody watches are dropped, as Celery lets them be).
     *
     * @throws SerializationFailed
     */
    public function publishMethod(): string
    {
        return BasicPublish::encode($this->exchange, $this->routingKey);
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
