<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The result backend cannot do what was asked, and Celery's refuses it too (Celery raises
 * NotImplementedError): nothing was published or written.
 */
final class NotSupportedByBackend extends \LogicException implements CeleryBridgeException
{
    /** Celery's E_NO_CHORD_SUPPORT, raised by chord.apply_async() with result_backend = 'rpc://'. */
    public static function chords(): self
    {
        return new self('The "rpc" result backend does not support chords! Note that a group chained with a task '
            . 'is also upgraded to be a chord, as this pattern requires synchronization. Result backends that '
            . 'support chords: Redis (pass backend: \'redis://...\', the same one the workers use). Nothing was published.');
    }

    /** Celery's rpc backend: save_group(), restore_group() (GroupResult.save(), GroupResult.restore()). */
    public static function groups(string $groupId, string $operation): self
    {
        return new self(sprintf(
            'Group "%s": %s is not supported by the "rpc" result backend (Celery refuses it too): its results are '
            . 'messages to this client, nothing is stored. Keep the GroupResult, or use the Redis result backend.',
            $groupId,
            $operation,
        ));
    }
}
