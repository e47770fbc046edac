<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A task message was written (LPUSH on Redis, basic.publish on RabbitMQ) but the broker never confirmed it: the task may or may not be
 * queued. CeleryBridge does not retry in this case, so that no task runs twice without the
 * caller knowing; the caller decides (check the result or the side effect, then resend).
 */
final class PublishOutcomeUnknown extends ConnectionFailed
{
    public static function forTransaction(int $writes, ConnectionFailed $cause): self
    {
        return new self(sprintf(
            'The %d writes sent in one MULTI/EXEC transaction may or may not have been applied (all of them or '
            . 'none): %s They were not retried, to avoid running tasks twice. Check whether one of the tasks '
            . 'ran before sending them again.',
            $writes,
            $cause->getMessage(),
        ), 0, $cause);
    }

    public static function forList(string $list, ConnectionFailed $cause): self
    {
        return new self(sprintf(
            'The task message for list "%s" may or may not have been queued: %s It was not retried, '
            . 'to avoid running the task twice. Check whether the task ran (its result, its effect) '
            . 'before sending it again.',
            $list,
            $cause->getMessage(),
        ), 0, $cause);
    }

    /**
     * RabbitMQ: the connection broke after messages were published and before the broker
     * confirmed them.
     */
    public static function forAmqp(int $messages, ConnectionFailed $cause): self
    {
        $e = new self(sprintf(
            '%s published and not confirmed by RabbitMQ may or may not have been queued (each one on its own): %s '
            . 'They were not retried, to avoid running tasks twice. Check whether the tasks ran before sending them again.',
            $messages === 1 ? 'The task message' : sprintf('The %d task messages', $messages),
            $cause->getMessage(),
        ), 0, $cause);
        $e->eachOnItsOwn = true;
        return $e;
    }
}
