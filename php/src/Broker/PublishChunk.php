<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

/**
 * The writes of one send(), or of one chunk of a sendMany(), built and waiting to go out in one
 * MULTI/EXEC (Redis) or one confirmed batch of publishes (AMQP): task messages, task-sent
 * events, and the chord counters they need.
 *
 * @internal
 */
final class PublishChunk
{
    /**
     * @var list<array<int, string|int>> [command, key, value] (SETEX: and its seconds); an LPUSH
     *      may carry several values, [LPUSH, key, value, value, ...] (a run of sendMany() tasks
     *      to one queue: LPUSH k a; LPUSH k b leaves the list LPUSH k a b leaves)
     */
    public array $writes = [];

    /**
     * @var list<\CeleryBridge\Publish\AmqpPublish> the AMQP transport's basic.publishes, in order
     *      (the Redis transport uses $writes)
     */
    public array $publishes = [];

    /** @var list<string> the ids of the tasks those messages carry, in publish order */
    public array $taskIds = [];

    /**
     * @var list<\CeleryBridge\Message\OutgoingTask> each task, in the order of taskIds, when the
     *      client logs or has after-publish hooks
     */
    public array $described = [];

    /** @var array<string, int> group id => number of header results its chord waits for */
    public array $chordSizes = [];

    /** @var array<string, \CeleryBridge\Result\GroupResult> chord headers to save (see Canvas\Plan) */
    public array $savedGroups = [];

    /** Whether a chord counter was written on its own, before the messages (another database). */
    public bool $counterStored = false;

    /** What a failure to write the messages leaves behind, for the exception's message. */
    public function failureNote(): ?string
    {
        return $this->counterStored ? 'The chord counter was already stored in the result backend (another server '
            . 'or database than the broker), so this chord will never complete: send the whole canvas again (it '
            . 'gets new ids).' : null;
    }
}
