<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The broker (Redis, RabbitMQ) or the result backend could not be reached or refused a command.
 * Messages name the server, never the password.
 */
class ConnectionFailed extends \RuntimeException implements CeleryBridgeException
{
    /** @var list<string> */
    private array $taskIds = [];

    /** @var list<string> */
    private array $queuedTaskIds = [];

    private ?string $canvasId = null;

    private int $inDoubt = 0;

    /** @var list<string> tasks of the failed step that the broker did take (a partial nack) */
    private array $queuedInSend = [];

    /** Whether the uncertain tasks were published one by one (RabbitMQ), not in one transaction. */
    protected bool $eachOnItsOwn = false;

    public static function because(string $server, string $what, ?\Throwable $previous = null): static
    {
        return new static(sprintf('Redis at %s: %s', $server, $what), 0, $previous);
    }

    /** The same for a RabbitMQ broker (the AMQP transport). */
    public static function atRabbitMq(string $server, string $what, ?\Throwable $previous = null): static
    {
        return new static(sprintf('RabbitMQ at %s: %s', $server, $what), 0, $previous);
    }

    /**
     * The tasks of the failed send() that are not known to be queued, in publish order. For a
     * PublishOutcomeUnknown the first ones (uncertainTaskIds()) may or may not be queued; the
     * others were not sent.
     *
     * @return list<string>
     */
    public function taskIds(): array
    {
        return $this->taskIds;
    }

    /**
     * The tasks of the same send() that Redis confirmed queued before the failure (a canvas
     * whose broker and backend are different servers is published in several steps).
     *
     * @return list<string>
     */
    public function queuedTaskIds(): array
    {
        return $this->queuedTaskIds;
    }

    /**
     * The tasks that may or may not be queued (PublishOutcomeUnknown only): the one task of an
     * LPUSH, or every task of a MULTI/EXEC transaction, which were all queued or none; on
     * RabbitMQ the chunk's publishes not confirmed, each queued or not on its own.
     *
     * @return list<string>
     */
    public function uncertainTaskIds(): array
    {
        return array_slice($this->taskIds, 0, $this->inDoubt);
    }

    /** The id of the result send() would have returned: the task's, the group's or the chord body's. */
    public function canvasId(): ?string
    {
        return $this->canvasId;
    }

    /**
     * Adds a sentence to the message, keeping the exception's class and data.
     *
     * @internal called by Broker\RetryingPublisher when it gives up
     */
    public function withNote(string $note): static
    {
        $this->message .= ' ' . $note;
        return $this;
    }

    /**
     * @internal the transport's word that these tasks of the step that failed were queued
     * @param list<string> $taskIds
     */
    public function withQueuedInSend(array $taskIds): static
    {
        $this->queuedInSend = $taskIds;
        return $this;
    }

    /**
     * Names the tasks a failed publish was about, as data and in the message.
     *
     * @internal called by CeleryClient on the way out of send()
     * @param list<string> $notQueued
     * @param list<string> $queued
     */
    public function duringPublish(
        array $notQueued,
        array $queued,
        ?string $canvasId,
        ?string $note = null,
        int $inDoubt = 1,
    ): static {
        // One id taken off per queued message: a send() may carry one task id twice (Celery
        // allows it), one of them queued and the other not.
        $queuedCount = array_count_values($this->queuedInSend);
        $left = [];
        foreach ($notQueued as $id) {
            if (($queuedCount[$id] ?? 0) > 0) {
                $queuedCount[$id]--;
                continue;
            }
            $left[] = $id;
        }
        $notQueued = $this->taskIds = $left;
        $queued = $this->queuedTaskIds = [...$queued, ...$this->queuedInSend];
        $this->canvasId = $canvasId;
        $this->inDoubt = $this instanceof PublishOutcomeUnknown ? min($inDoubt, count($notQueued)) : 0;
        $shown = array_map(static fn (string $id): string => '"' . Describe::text($id, 80) . '"', array_slice($notQueued, 0, 3));
        $this->message .= sprintf(
            ' Task id%s: %s%s%s.',
            count($notQueued) === 1 ? '' : 's',
            implode(', ', $shown),
            count($notQueued) > 3 ? sprintf(' and %d more', count($notQueued) - 3) : '',
            $queued === [] ? '' : sprintf(
                '; %d task%s of the same send() were queued',
                count($queued),
                count($queued) === 1 ? '' : 's',
            ),
        ) . ($this->inDoubt > 1
            ? sprintf($this->eachOnItsOwn
                ? ' The first %d were published and not confirmed: each of them may or may not be queued.'
                : ' The first %d were sent in one transaction: all of them are queued, or none.', $this->inDoubt)
            : '') . ($note === null ? '' : ' ' . $note);
        return $this;
    }
}
