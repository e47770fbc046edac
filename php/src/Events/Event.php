<?php

declare(strict_types=1);

namespace CeleryBridge\Events;

/**
 * One event of Celery's event stream (what `celery events` and Flower read): TaskEvent,
 * WorkerEvent, or OtherEvent for a type sent with Task.send_event().
 */
interface Event
{
    /** Celery's event type, e.g. "task-succeeded", "worker-heartbeat". */
    public function type(): string;

    /** The node that sent it ("celery@host"; a PHP client's "php<pid>@host" for task-sent). */
    public function hostname(): string;

    /** When it was sent (the sender's clock), or null when the event carries no timestamp. */
    public function timestamp(): ?\DateTimeImmutable;

    /**
     * Every field as the sender wrote it.
     *
     * @return array<string, mixed>
     */
    public function fields(): array;
}
