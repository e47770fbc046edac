<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

/**
 * A task message ready for the wire: headers, properties and the encoded body.
 *
 * @internal
 */
final class TaskMessage
{
    /**
     * @param array<string, mixed> $headers
     * @param array<string, mixed> $properties
     * @param string $body serialized (and compressed) body, not yet base64
     */
    public function __construct(
        public readonly string $taskId,
        public readonly array $headers,
        public readonly array $properties,
        public readonly string $body,
        public readonly string $contentType,
        public readonly string $contentEncoding,
    ) {
    }

    /**
     * kombu's Redis envelope: the JSON text that is LPUSHed. kombu's virtual transport
     * base64-encodes the body and says so in properties.body_encoding.
     */
    public function toEnvelope(): string
    {
        return KombuJson::encode([
            'body' => base64_encode($this->body),
            'content-encoding' => $this->contentEncoding,
            'content-type' => $this->contentType,
            'headers' => $this->headers === [] ? new \stdClass() : $this->headers,
            'properties' => $this->properties,
        ]);
    }
}
