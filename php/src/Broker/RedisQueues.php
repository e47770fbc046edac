<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Connection\RedisConnection;

/**
 * Queues on Redis: one list per priority step (see QueueKeys), so each operation looks at every
 * list, as kombu's Redis channel does for queue_declare and purge. Messages a worker has already
 * taken (prefetched, or held for their ETA in the "unacked" hash) are not in the lists.
 *
 * @internal
 */
final class RedisQueues implements QueueAccess
{
    public function __construct(
        private readonly RedisConnection $connection,
        private readonly QueueKeys $keys,
    ) {
    }

    public function length(string $queue): int
    {
        $length = 0;
        foreach ($this->keys->listsOf($queue) as $list) {
            $length += $this->connection->lLen($list);
        }
        return $length;
    }

    /**
     * Each list is counted and deleted in one transaction, as kombu does, so none goes uncounted.
     */
    public function purge(string $queue): int
    {
        return $this->connection->purgeLists($this->keys->listsOf($queue));
    }

    public function holds(string $queue, string $taskId, int $scan): ?bool
    {
        $read = 0;
        $total = 0;
        foreach ($this->keys->listsOf($queue) as $list) {
            $total += $this->connection->lLen($list);
            if ($read >= $scan) {
                continue;
            }
            foreach ($this->connection->lRange($list, 0, $scan - $read - 1) as $raw) {
                ++$read;
                if (self::isTheTask($raw, $taskId)) {
                    return true;
                }
            }
        }
        return $read >= $total ? false : null;
    }

    public function within(float $deadline, \Closure $call): mixed
    {
        return $this->connection->withDeadline($deadline, $call);
    }

    /**
     * A protocol 2 envelope carries the id in its headers (next to "lang"); a protocol 1 one
     * only in its base64 body, which is decoded then (an unreadable message is not the task).
     */
    private static function isTheTask(string $raw, string $taskId): bool
    {
        $protocol2 = str_contains($raw, '"lang"');
        if ($protocol2 && !str_contains($raw, $taskId)) {
            return false;
        }
        $envelope = json_decode($raw, true);
        if (!is_array($envelope)) {
            return false;
        }
        if ($protocol2) {
            return ($envelope['headers']['id'] ?? null) === $taskId;
        }
        $body = is_string($envelope['body'] ?? null) ? base64_decode($envelope['body'], true) : false;
        $body = is_string($body) ? json_decode($body, true) : null;
        return is_array($body) && ($body['id'] ?? null) === $taskId;
    }
}
