<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Message\Embeddable;
use CeleryBridge\Message\TaskOptions;

/**
 * Anything Celery's canvas can run: a Signature, a Chain, a Group or a Chord.
 *
 * All of them are immutable values; `$celery->send($canvas, $options)` publishes any of them.
 * The four classes of this namespace are the only implementations the client knows how to send.
 */
interface Canvas extends Embeddable
{
    /**
     * A copy with apply_async options laid over it, with the meaning Celery gives them for
     * this form (e.g. a chain's task_id names its last step, a chord's names its body).
     *
     * @param array<string, mixed>|TaskOptions $options
     * @throws InvalidOption|InvalidCanvas
     */
    public function withOptions(array|TaskOptions $options): self;

    /**
     * A copy with partial arguments applied, as Celery's `canvas.apply_async(args, kwargs)`
     * does: a signature gets $args before its own and $kwargs over its own (an immutable one
     * keeps its own), a chain gives them to its first task, a group to every task, a chord to
     * every header task.
     *
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @throws \CeleryBridge\Exception\InvalidTaskArgument
     */
    public function withPartial(array $args, array $kwargs = []): self;

    /**
     * A copy whose parent's result is not handed to it (Celery's `.set(immutable=True)`): a
     * signature or a chain keeps its own arguments, a group makes every task immutable, a chord
     * its header tasks.
     */
    public function asImmutable(): self;

    /**
     * A copy with success callbacks added (Celery's `.link()`): each runs with the result as
     * its first argument, unless it is immutable. A callback may be any canvas: the worker
     * applies it as Celery's own client would.
     *
     * @throws InvalidCanvas
     */
    public function withLink(Canvas ...$callbacks): self;

    /**
     * A copy with error callbacks added (Celery's `.link_error()`): each runs with the failed
     * task's id as its first argument. An errback may be any canvas.
     *
     * @throws InvalidCanvas
     */
    public function withLinkError(Canvas ...$errbacks): self;
}
