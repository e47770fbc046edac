<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * RabbitMQ refused a declaration with 406 PRECONDITION_FAILED: the queue or exchange exists
 * with other arguments than this client's config gives it (x-max-priority, x-queue-type,
 * durable, the exchange type). Nothing was published. Celery's own publishers and workers
 * would get the same error with this config.
 */
final class TopologyMismatch extends \RuntimeException implements CeleryBridgeException
{
    public static function declaring(string $kind, string $name, string $brokerText): self
    {
        $argument = preg_match("/inequivalent arg '([^']+)'/", $brokerText, $m) === 1 ? $m[1] : null;
        $invalid = preg_match("/invalid arg '([^']+)'/", $brokerText, $n) === 1 ? $n[1] : null;
        return new self(sprintf(
            'RabbitMQ refused to declare %s "%s": %s (%s). Nothing was published. Give this client the same queue '
            . 'settings as the workers (task_queue_max_priority, task_default_queue_type, task_queues, '
            . 'task_default_exchange_type), or only check that the queue exists: amqp_declare => passive.',
            $kind,
            $name,
            match (true) {
                $argument !== null => sprintf('it exists with a different "%s"', $argument),
                $invalid !== null => sprintf('the argument "%s" is not valid for it', $invalid),
                default => 'it exists with different arguments',
            },
            $brokerText,
        ));
    }
}
