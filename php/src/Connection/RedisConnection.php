<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * The few Redis commands CeleryBridge needs, over phpredis or Predis.
 *
 * Implementations connect lazily (constructing one does no I/O) and throw ConnectionFailed,
 * with the client's exception as `previous`, for every failure.
 *
 * @internal
 */
interface RedisConnection
{
    /** @throws ConnectionFailed */
    public function lPush(string $key, string $value): int;

    /** @throws ConnectionFailed */
    public function publish(string $channel, string $message): int;

    /** @throws ConnectionFailed */
    public function get(string $key): ?string;

    /**
     * @param list<string> $keys
     * @return list<?string> in the order of $keys
     * @throws ConnectionFailed
     */
    public function mGet(array $keys): array;

    /** @throws ConnectionFailed */
    public function set(string $key, string $value, ?int $ttlSeconds = null): void;

    /** @throws ConnectionFailed */
    public function del(string ...$keys): int;

    /** @throws ConnectionFailed */
    public function lLen(string $key): int;

    /**
     * LRANGE: the items from $start to $stop (inclusive; -1 is the last).
     *
     * @return list<string>
     * @throws ConnectionFailed
     */
    public function lRange(string $key, int $start, int $stop): array;

    /**
     * Runs writes in one MULTI/EXEC, sent in one round trip: Redis applies all of them or none.
     * Each write is ['LPUSH', key, value], ['SET', key, value], ['SETEX', key, value, seconds],
     * ['DEL', key], ['PUBLISH', channel, message], ['SADD', key, member] or ['SREM', key, member].
     * A failure before EXEC was sent (connecting, an error reply) means nothing was written;
     * ConnectionLost means EXEC was sent and may or may not have run.
     *
     * @param non-empty-list<array{0: string, 1: string, 2?: string, 3?: int}> $writes
     * @throws ConnectionFailed
     */
    public function transaction(array $writes): void;

    /**
     * LLEN then DEL of every list, in one MULTI (as kombu purges a queue), so that a message
     * pushed meanwhile is either counted and deleted or left alone.
     *
     * @param list<string> $keys
     * @return int the number of items the lists held
     * @throws ConnectionFailed
     */
    public function purgeLists(array $keys): int;

    /**
     * @return list<string>
     * @throws ConnectionFailed
     */
    public function sMembers(string $key): array;

    /**
     * BRPOP: the first of these lists to hold an item gives its last one, waiting up to
     * $seconds (to the millisecond; on Redis 5, which takes whole seconds, rounded up). The
     * socket waits that long and a little more, whatever its read timeout; a deadline
     * (withDeadline()) still cuts it short.
     *
     * @param list<string> $keys
     * @return array{string, string}|null the list and the item, or null when none came in time
     * @throws ConnectionFailed
     */
    public function brPop(array $keys, float $seconds): ?array;

    /**
     * Connects if not connected yet. True when that opened a new socket, or took a persistent
     * one the client library has just proven alive (phpredis' ECHO), so the server answers;
     * false when a socket was there already, or is a persistent or caller-given one that may
     * have gone stale meanwhile.
     *
     * @throws ConnectionFailed
     */
    public function ensureConnected(): bool;

    /**
     * PING: connects if needed and checks that the server answers. Changes nothing on the
     * server, so a failure here proves that nothing was published.
     *
     * @throws ConnectionFailed
     */
    public function ping(): void;

    /** The database number selected on this connection (kombu puts it in fanout channel names). */
    public function database(): int;

    /** A description of the server for messages: host and port, never the password. */
    public function describe(): string;

    /**
     * The server this connection talks to (for Sentinel: the master it resolved), so that a
     * caller can open its own socket to the same place. May connect to find out.
     *
     * @throws ConnectionFailed
     */
    public function endpoint(): Endpoint;

    public function close(): void;

    /**
     * Runs $call with every connect and every reply of this connection bounded by $deadline
     * (absolute, in seconds of hrtime(): Clock::now() + seconds), so that a server that
     * accepts but never answers cannot hold the caller longer. Nested calls keep the earliest.
     *
     * @template T
     * @param \Closure(): T $call
     * @return T
     * @throws ConnectionFailed
     */
    public function withDeadline(?float $deadline, \Closure $call): mixed;
}
