<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionLost;

// Imported: sendMany() runs this for each chunk of tasks.
use function array_slice;
use function count;
use function get_debug_type;
use function is_array;
use function sprintf;

/**
 * A MULTI/EXEC over phpredis (PhpRedisConnection::transaction(), purgeLists()). Loaded by the
 * first transaction; a plain LPUSH never needs it.
 *
 * @internal
 */
final class PhpRedisTransaction
{
    /**
     * MULTI, the commands (writes, or LLEN and DEL for a purge) and EXEC, pipelined (one round
     * trip); returns EXEC's replies.
     *
     * @param non-empty-list<array<int, string|int>> $writes
     * @throws ConnectionLost the writes went out, and EXEC's reply cannot be read
     */
    public static function inOneRoundTrip(
        #[\SensitiveParameter] \Redis $client,
        array $writes,
        RedisConnection $connection,
    ): mixed {
        // multi() alone waits for each QUEUED; inside pipeline() the whole MULTI ... EXEC is one
        // write, and phpredis reads it back as one unit: the second exec() returns [EXEC's list].
        // (Not rawCommand('MULTI') in a plain pipeline: when phpredis has silently reconnected a
        // socket the server closed (Redis `timeout`, CLIENT KILL) it reads those replies in atomic
        // mode, each replacing the last, and exec() no longer says which reply is EXEC's; and on a
        // server that stops answering it waits out the read timeout twice.)
        $client->pipeline();
        try {
            $client->multi();
            foreach ($writes as $write) {
                match ($write[0]) {
                    // (phpredis writes an int value as its digits: no strval() per message.)
                    'LPUSH' => $client->lPush((string) $write[1], ...array_slice($write, 2)),
                    'SETEX' => $client->setEx($write[1], (int) $write[3], (string) $write[2]),
                    'SET' => $client->set($write[1], (string) $write[2]),
                    'DEL' => $client->del($write[1]),
                    'LLEN' => $client->lLen($write[1]),
                    'PUBLISH' => $client->publish($write[1], (string) $write[2]),
                    'SADD' => $client->sAdd($write[1], (string) $write[2]),
                    'SREM' => $client->sRem($write[1], (string) $write[2]),
                };
            }
            $client->exec();
        } catch (\Throwable $e) {
            $client->discard();
            throw $e;
        }
        $replies = $client->exec();
        if (is_array($replies) && count($replies) === 1 && is_array($replies[0] ?? null)) {
            return $replies[0];
        }
        // The writes went out, and what became of them cannot be read from this.
        throw ConnectionLost::unreadableReply($connection->describe(), 'EXEC', sprintf(
            '%s instead of one list of %d results',
            get_debug_type($replies),
            count($writes),
        ));
    }
}
