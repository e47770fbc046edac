<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\Describe;

/**
 * What an operator asks of a queue: how many messages wait in it, emptying it, and why a task
 * may still be PENDING. Messages a worker has already taken (prefetched, or held for their ETA)
 * are not waiting and are not counted. The broker's side is a QueueAccess: Redis lists
 * (RedisQueues) or RabbitMQ queues (Amqp\AmqpQueues).
 */
final class QueueInspector
{
    private readonly QueueAccess $queues;

    /**
     * @param RedisConnection|QueueAccess $connection a Redis broker connection (its lists named
     *        by $keys) or another broker's queues
     */
    public function __construct(RedisConnection|QueueAccess $connection, QueueKeys $keys = new QueueKeys())
    {
        $this->queues = $connection instanceof QueueAccess ? $connection : new RedisQueues($connection, $keys);
    }

    /**
     * The number of messages waiting in the queue, over all its priority lists.
     *
     * @throws ConnectionFailed
     */
    public function length(string $queue): int
    {
        return $this->queues->length($queue);
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
        $waiting = $taskId !== '' && $length > 0 ? $this->queues->holds($queue, $taskId, self::SCAN) : null;
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
     * Runs $call with every command to the broker ending by $deadline (Clock::now() + seconds).
     *
     * @template T
     * @param \Closure(): T $call
     * @return T
     * @throws ConnectionFailed
     */
    public function within(float $deadline, \Closure $call): mixed
    {
        return $this->queues->within($deadline, $call);
    }

    /**
     * Deletes every waiting message of the queue and returns how many there were.
     *
     * @throws ConnectionFailed
     */
    public function purge(string $queue): int
    {
        return $this->queues->purge($queue);
    }
}
