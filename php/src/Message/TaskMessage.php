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

    /**
     * Whole seconds from now to the eta header (countdown and eta both set it), or null.
     * Rounded, not truncated as Celery does for an eta: the countdown option itself (30) comes
     * back as 29.99... once the message is built, and Celery uses it as it is.
     */
    public function secondsToEta(): ?float
    {
        $eta = $this->headers['eta'] ?? null;
        if (!is_string($eta)) {
            return null;
        }
        try {
            $at = new \DateTimeImmutable($eta);
        } catch (\Exception) {
            return null;
        }
        return round((float) $at->format('U.u') - microtime(true));
    }
}
