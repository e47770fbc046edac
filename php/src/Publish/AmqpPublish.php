<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Broker\Amqp\AmqpQueue;
use CeleryBridge\Message\AmqpTaskMessage;

/**
 * One basic.publish waiting in a PublishChunk for the AMQP transport: the message, its content
 * header properties already encoded (a value AMQP cannot carry failed while building), what must
 * be declared or exist first, and the task it carries (null for an event).
 *
 * @internal
 */
final class AmqpPublish
{
    public function __construct(
        public readonly AmqpTaskMessage $message,
        public readonly string $properties,
        public readonly ?string $taskId,
        public readonly ?AmqpQueue $declare = null,
        /** An exchange that must exist before the publish (native delayed delivery). */
        public readonly ?string $requireExchange = null,
    ) {
    }
}
