<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * LPUSH of a task message was written but Redis never confirmed it: the task may or may not be
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
}
