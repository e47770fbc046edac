<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;

/**
 * The writes of one MULTI/EXEC (RedisConnection::transaction()): what is sent, and what EXEC's
 * reply says about it. Loaded by the first transaction; a plain LPUSH never needs it.
 *
 * @internal
 */
final class TransactionWrites
{
    /**
     * LPUSH k a; LPUSH k b leaves the same list as LPUSH k a b: one command per list.
     *
     * @param non-empty-list<array<int, string|int>> $writes
     * @return non-empty-list<array<int, string|int>>
     */
    public static function merged(array $writes): array
    {
        $commands = [];
        // The key of the LPUSH last added (null: the last command is another one), and its index.
        $pushKey = null;
        $last = -1;
        foreach ($writes as $write) {
            if ($write[1] === $pushKey && $write[0] === 'LPUSH') {
                if (isset($write[3])) {
                    // An LPUSH of several values (sendMany() writes a run of tasks to one queue so).
                    array_push($commands[$last], ...array_slice($write, 2));
                } else {
                    $commands[$last][] = $write[2];
                }
                continue;
            }
            $commands[++$last] = $write;
            $pushKey = $write[0] === 'LPUSH' ? $write[1] : null;
        }
        return $commands;
    }

    /**
     * EXEC's reply: one entry per command. A command Redis refused while running (WRONGTYPE on
     * a queue key) does not undo the others.
     *
     * @throws ConnectionFailed
     */
    public static function check(mixed $replies, int $commands, string $server): void
    {
        if (is_array($replies) && count($replies) !== $commands) {
            // EXEC ran, but its reply does not say which write did what: never report that as
            // "not queued" (the caller would send the tasks again).
            throw ConnectionLost::unreadableReply($server, 'EXEC', sprintf(
                '%d results for %d commands',
                count($replies),
                $commands,
            ));
        }
        if (!is_array($replies) || in_array(false, $replies, true)) {
            throw ConnectionFailed::because(
                $server,
                'ran the transaction but refused part of it (is a queue key of another type?); check the keys it wrote.',
            );
        }
    }

    /**
     * A purge (RedisConnection::purgeLists()): LLEN and DEL of each list in one MULTI/EXEC, so
     * that no task pushed between them is deleted uncounted.
     *
     * @param non-empty-list<string> $keys
     * @return non-empty-list<array{string, string}>
     */
    public static function purging(array $keys): array
    {
        return array_merge(...array_map(static fn (string $key): array => [['LLEN', $key], ['DEL', $key]], $keys));
    }

    /** The tasks a purge deleted: EXEC's replies alternate LLEN, DEL; the LLENs are summed. */
    public static function purged(mixed $replies): int
    {
        return array_sum(array_map('intval', array_filter((array) $replies, static fn ($i) => $i % 2 === 0, ARRAY_FILTER_USE_KEY)));
    }
}
