<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

/**
 * One message read from a reply queue: what a result message of Celery's rpc backend carries
 * (the worker publishes the task's meta with correlation_id = the task id).
 *
 * @internal
 */
final class Reply
{
    public function __construct(
        public readonly ?string $correlationId,
        public readonly ?string $contentType,
        public readonly ?string $contentEncoding,
        public readonly string $body,
    ) {
    }
}
