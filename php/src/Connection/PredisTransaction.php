<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

/**
 * A MULTI/EXEC over Predis (PredisConnection::transaction(), purgeLists()). Loaded by the first
 * transaction; a plain LPUSH never needs it.
 *
 * @internal
 */
final class PredisTransaction
{
    /**
     * MULTI, the commands (writes, or LLEN and DEL for a purge) and EXEC, pipelined (one round
     * trip); returns EXEC's replies, a write Redis refused as false.
     *
     * @param non-empty-list<array<int, string|int>> $writes
     */
    public static function inOneRoundTrip(#[\SensitiveParameter] \Predis\ClientInterface $client, array $writes): mixed
    {
        // Predis' transaction() waits for each QUEUED; inside a pipeline, MULTI ... EXEC is one write.
        $replies = $client->pipeline(static function ($pipe) use ($writes): void {
            $pipe->multi();
            foreach ($writes as $write) {
                match ($write[0]) {
                    'LPUSH' => $pipe->lpush($write[1], array_map('strval', array_slice($write, 2))),
                    'SETEX' => $pipe->setex($write[1], (int) $write[3], (string) $write[2]),
                    'SET' => $pipe->set($write[1], (string) $write[2]),
                    'DEL' => $pipe->del([$write[1]]),
                    'LLEN' => $pipe->llen($write[1]),
                    'PUBLISH' => $pipe->publish($write[1], (string) $write[2]),
                    'SADD' => $pipe->sadd($write[1], [(string) $write[2]]),
                    'SREM' => $pipe->srem($write[1], (string) $write[2]),
                };
            }
            $pipe->exec();
        });
        $exec = is_array($replies) ? end($replies) : $replies;
        // A write Redis refused while running comes back as an error object: false, as phpredis.
        return is_array($exec)
            ? array_map(static fn ($reply) => $reply instanceof \Predis\Response\ErrorInterface ? false : $reply, $exec)
            : $exec;
    }
}
