<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Connection\Clock;
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
     * How many of a queue's newest messages a timed-out get() reads to find the task's own (a
     * task that just timed out was pushed recently, so it sits near the head of its list).
     */
    public const SCAN = 1000;

    /**
     * Why a PENDING task has no result yet, likeliest cause first, from what the queue holds now.
     * A worker without task_track_started leaves a running task PENDING, and an id nothing was
     * ever stored for is PENDING too, so "PENDING" alone says little; whether the task's message
     * still waits in the queue tells most cases apart.
     *
     * @param bool $sentThere whether this client sent the task there, or the queue is only the default
     * @throws ConnectionFailed
     */
    public function explainPending(string $queue, bool $sentThere, string $taskId = ''): string
    {
        $name = Describe::text($queue, 200);
        $length = $this->length($queue);
        $waiting = $taskId !== '' && $length > 0 ? $this->holds($queue, $taskId) : null;
        if ($waiting === true || ($waiting === null && $length > 0 && $sentThere)) {
            return sprintf(
                '%s queue "%s"%s (%d message%s there now): most likely no worker consumes that queue, '
                . 'or its workers are busy. Start one with `celery -A proj worker -Q %s` (`celery -A proj '
                . 'inspect active_queues` lists what the workers consume), or check task_routes and the queue option.',
                $sentThere ? 'Its message still waits in' : 'A message with this id still waits in the default',
                $name,
                $waiting === true ? '' : ' (probably: not every message was checked)',
                $length,
                $length === 1 ? '' : 's',
                $name,
            );
        }
        $backend = 'the client reads another result backend than the workers write: another server, '
            . 'or another db (a get() right after sending can still work, since results also arrive by '
            . 'PUBLISH, which ignores the db, while a later result($id) never finds them)';
        if ($sentThere) {
            return sprintf(
                'Its message is no longer in queue "%s": a worker took it. Most likely the task is still '
                . 'running or waits for its eta/countdown: without task_track_started a running task stays '
                . 'PENDING (`celery -A proj inspect active` lists running tasks, `inspect scheduled` those '
                . 'waiting for their eta). Otherwise the worker stored no result: it has no result_backend '
                . '(its banner says "results: disabled://"), or %s, or it does not accept json '
                . '(accept_content), or the task has ignore_result.',
                $name,
                $backend,
            );
        }
        return sprintf(
            'No message with this id waits in the default queue "%s"%s. PENDING is also the state of an id '
            . 'no result was ever stored for. Most likely the task is still running (without '
            . 'task_track_started a running task stays PENDING: `celery -A proj inspect active` lists running '
            . 'tasks) or waits in another queue; or %s; or the result expired (result_expires) or was '
            . 'forgotten; or the id is wrong.',
            $name,
            $length > self::SCAN ? sprintf(' (among its %d newest messages)', self::SCAN) : '',
            $backend,
        );
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

    /**
     * Whether one of the queue's newest messages is the task's: true, false, or null when the
     * queue is longer than what was read and the task was not among those read.
     *
     * @throws ConnectionFailed
     */
    private function holds(string $queue, string $taskId): ?bool
    {
        $read = 0;
        $total = 0;
        foreach ($this->keys->listsOf($queue) as $list) {
            $total += $this->connection->lLen($list);
            if ($read >= self::SCAN) {
                continue;
            }
            foreach ($this->connection->lRange($list, 0, self::SCAN - $read - 1) as $raw) {
                ++$read;
                if (self::isTheTask($raw, $taskId)) {
                    return true;
                }
            }
        }
        return $read >= $total ? false : null;
    }

    /**
     * Runs $call with every command to the broker ending by $deadline (Clock::now() + seconds).
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
