<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * What both client adapters share about opening connections.
 *
 * @internal
 */
final class Connector
{
    /**
     * The failure of the first server of a failover list, naming what the others said.
     *
     * @param list<ConnectionFailed> $failures in the order the servers were tried
     */
    public static function firstFailure(array $failures): ConnectionFailed
    {
        $first = $failures[0] ?? throw new \LogicException('No failure to report.');
        if (count($failures) === 1) {
            return $first;
        }
        $others = array_map(
            static fn (ConnectionFailed $e): string => explode('. ', $e->getMessage(), 2)[0],
            array_slice($failures, 1),
        );
        $class = $first::class;
        return new $class(
            sprintf('%s The other servers of the failover list failed too: %s.', $first->getMessage(), implode('; ', $others)),
            0,
            $first,
        );
    }
}
