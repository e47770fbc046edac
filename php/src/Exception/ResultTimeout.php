<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The time given to get() ran out before the task reached a ready state (SUCCESS, FAILURE,
 * REVOKED). The task may still finish later; ask again with the same id.
 */
final class ResultTimeout extends \RuntimeException implements CeleryBridgeException
{
    /**
     * @param array<string, string> $states last known state of every task still waited for
     */
    private function __construct(string $message, public readonly float $timeout, public readonly array $states)
    {
        parent::__construct($message);
    }

    /**
     * The same timeout, with what the client found out about a PENDING task appended.
     */
    public function explained(string $explanation): self
    {
        return new self($this->getMessage() . ' ' . $explanation, $this->timeout, $this->states);
    }

    /**
     * @param array<string, string> $states task id => last known state, for the tasks not ready yet
     */
    public static function after(float $timeout, array $states): self
    {
        $ids = array_keys($states);
        $shown = array_map(
            static fn (string $id): string => sprintf('"%s" (%s)', Describe::text($id, 80), Describe::text($states[$id], 40)),
            array_slice($ids, 0, 3),
        );
        $more = count($ids) > 3 ? sprintf(' and %d more', count($ids) - 3) : '';
        $pending = in_array('PENDING', $states, true)
            ? ' PENDING means no result is stored yet: still queued, running on a worker without '
                . 'task_track_started, an unknown id, ignore_result, or expired.'
            : '';
        $pending .= in_array('STARTED', $states, true) ? ' STARTED means a worker is running it.' : '';
        return new self(
            sprintf(
                'No result after %s s for task%s %s%s.%s',
                rtrim(rtrim(sprintf('%.3f', $timeout), '0'), '.'),
                count($ids) === 1 ? '' : 's',
                implode(', ', $shown),
                $more,
                $pending,
            ),
            $timeout,
            $states,
        );
    }

    /**
     * @return list<string>
     */
    public function taskIds(): array
    {
        return array_map('strval', array_keys($this->states));
    }
}
