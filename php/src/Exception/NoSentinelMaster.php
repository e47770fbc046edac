<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * No sentinel named a usable master for `master_name`. Nothing was sent.
 */
final class NoSentinelMaster extends ConnectionFailed
{
    /**
     * @param array<string, string> $problems sentinel address => what it said or why it failed
     */
    public static function forMaster(string $masterName, array $problems, ?\Throwable $previous = null): self
    {
        $parts = [];
        foreach ($problems as $sentinel => $problem) {
            $parts[] = sprintf('%s: %s', $sentinel, $problem);
        }
        return new self(sprintf(
            'No sentinel gave a usable master named "%s" (%s). Check broker_transport_options '
            . '(or result_backend_transport_options) master_name, that the sentinels in the URL are '
            . 'running and monitor that name (SENTINEL MASTERS), and sentinel_kwargs for their password.',
            $masterName,
            implode('; ', $parts),
        ), 0, $previous);
    }
}
