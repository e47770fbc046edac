<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;

/**
 * What an operator asks of a queue: how many messages wait in it, and emptying it.
 *
 * A queue is one Redis list per priority step (see QueueKeys), so both look at every list, as
 * kombu's Redis channel does for queue_declare and purge. Messages a worker has already taken
 * (prefetched, or held for their ETA in the "unacked" hash) are not waiting and are not counted.
 */
final class QueueInspector
{
    public function __construct(
        private readonly RedisConnection $connection,
        private readonly QueueKeys $keys,
    ) {
    }

    /**
     * The number of messages waiting in the queue, over all its priority lists.
     *
     * @throws ConnectionFailed
     */
    public function length(string $queue): int
    {
        $length = 0;
        foreach ($this->keys->listsOf($queue) as $list) {
            $length += $this->connection->lLen($list);
        }
        return $length;
    }

    /**
     * Deletes every waiting message of the queue and returns how many there were: each list is
     * counted and deleted in one transaction, as kombu does, so none goes uncounted.
     *
     * @throws ConnectionFailed
     */
    public function purge(string $queue): int
    {
        return $this->connection->purgeLists($this->keys->listsOf($queue));
    }
}
