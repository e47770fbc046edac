<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\Describe;

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
     * Why a task sent to $queue may still be PENDING, from what the queue holds now: messages
     * waiting there (no worker consumes that queue?) or none (a worker took it and stored
     * nothing). Said as a guess: the queue may hold other tasks' messages.
     *
     * @param bool $sentThere whether this client sent the task there, or the queue is only the default
     * @throws ConnectionFailed
     */
    public function explainPending(string $queue, bool $sentThere): string
    {
        $length = $this->length($queue);
        $where = sprintf('%s queue "%s"', $sentThere ? 'Its' : 'The default', Describe::text($queue, 200));
        if ($length > 0) {
            return sprintf(
                '%s holds %d message%s now: if no worker consumes that queue, the task waits there '
                . '(start one with `celery worker -Q %s`, or check task_routes).',
                $where,
                $length,
                $length === 1 ? '' : 's',
                Describe::text($queue, 200),
            );
        }
        return sprintf(
            '%s is empty: a worker took the message and stored no result. Check that worker\'s '
            . 'result_backend (its banner says "results: disabled://" without one), that it accepts json '
            . '(accept_content), that it knows the task name, and the task\'s ignore_result.',
            $where,
        );
    }

    /**
     * Runs $call with every command to the broker ending by $deadline (PubSubWaiter::now() + seconds).
     *
     * @template T
     * @param \Closure(): T $call
     * @return T
     * @throws ConnectionFailed
     */
    public function within(float $deadline, \Closure $call): mixed
    {
        return $this->connection->withDeadline($deadline, $call);
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
