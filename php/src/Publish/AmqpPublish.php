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

    /**
     * The publishes at $places among $sent (in the order written), keyed as in $sent: the
     * chunk's places of what RabbitMQ nacked, whatever their task ids (one id may be there twice).
     *
     * @param array<int, self> $sent
     * @param list<int> $places
     * @return array<int, self>
     */
    public static function at(array $sent, array $places): array
    {
        if ($places === []) {
            return [];
        }
        $keys = array_keys($sent);
        $picked = [];
        foreach ($places as $place) {
            $picked[$keys[$place]] = $sent[$keys[$place]];
        }
        ksort($picked);
        return $picked;
    }

    /**
     * @param array<int, self> $publishes
     * @return list<string>
     */
    public static function taskIds(array $publishes): array
    {
        return array_values(array_map(static fn (self $p): string => (string) $p->taskId, $publishes));
    }
}
