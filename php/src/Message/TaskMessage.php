<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Wire\Envelope;

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
     * The text that is LPUSHed: kombu's Redis envelope (Envelope) of this message.
     */
    public function toEnvelope(): string
    {
        return Envelope::encode($this->body, $this->contentType, $this->contentEncoding, $this->headers, $this->properties);
    }
}
