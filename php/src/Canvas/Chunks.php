<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Message\TaskOptions;

/**
 * Celery's chunks (`task.chunks(it, n)`): the items split into parts of $n, each part one
 * celery.starmap task, all parts in parallel as a group. Sending it sends group() (as Celery's
 * chunks.apply_async does) and gives a GroupResult whose values are the parts' lists:
 *
 *     $celery->send(new Chunks(new Signature('tasks.add'), [[1, 2], [3, 4], [5, 6]], 2))->get();
 *     // [[3, 7], [11]]
 *
 * Options given to send() or withOptions() are the group's, as in chunks.apply_async(**options):
 * task_id names the group, the others go to every part. Inside a Chain, a Group or a Chord use
 * group() (Celery's chunks.group()): there Celery publishes a bare chunks as one celery.chunks
 * task that applies the parts itself and returns their GroupResult, which the JSON result
 * serializer cannot store (the task fails with EncodeError), so it is refused. As a callback
 * (withLink) it travels as a celery.chunks signature dict, whose result nobody reads.
 */
final class Chunks implements Canvas
{
    /** @var list<list<mixed>> */
    public readonly array $items;

    private readonly TaskOptions $options;

    /**
     * @param Signature $signature the task to call; only its name reaches the worker's calls
     * @param iterable<list<mixed>> $items each item the positional arguments of one call
     * @param int $n how many items each part (one message) takes
     * @throws InvalidTaskArgument
     */
    public function __construct(
        public readonly Signature $signature,
        iterable $items,
        public readonly int $n,
        array|TaskOptions $options = [],
    ) {
        if ($n < 1) {
            // Python's chunks fails on the worker or client with n < 1 (islice refuses it).
            throw InvalidTaskArgument::at('Chunks n', sprintf('is %d; each part needs at least 1 item.', $n));
        }
        /** @var list<list<mixed>> $list */
        $list = BuiltinMap::items($items, true, 'Chunks');
        $this->items = $list;
        $this->options = $options instanceof TaskOptions ? $options : TaskOptions::fromArray($options);
        // Validated now, as the worker would receive them.
        BuiltinMap::call('celery.chunks', $signature, $this->items, $this->options, $n);
    }

    /**
     * Celery's chunks.group(): one XStarMap per part of n items, in order, with this chunks'
     * options laid over the group.
     *
     * @throws InvalidCanvas
     */
    public function group(): Group
    {
        $parts = array_map(
            fn (array $part): XStarMap => new XStarMap($this->signature, $part),
            array_chunk($this->items, $this->n),
        );
        return Group::fromList($parts, $this->options);
    }

    /**
     * @param array<string, mixed>|TaskOptions $options
     */
    public function withOptions(array|TaskOptions $options): self
    {
        $options = $options instanceof TaskOptions ? $options : $this->options->with($options);
        return new self($this->signature, $this->items, $this->n, $options);
    }

    /** The parts are immutable: partial arguments are ignored, as the worker ignores them. */
    public function withPartial(array $args, array $kwargs = []): self
    {
        return $this;
    }

    public function asImmutable(): self
    {
        return $this;
    }

    /**
     * Refused, as Celery's group.apply_async() refuses a link: use group() in a Chord.
     */
    public function withLink(Canvas ...$callbacks): self
    {
        if ($callbacks === []) {
            return $this;
        }
        throw InvalidCanvas::groupOption('link');
    }

    /**
     * Refused, as Celery refuses it on the group: set link_error on the signature.
     */
    public function withLinkError(Canvas ...$errbacks): self
    {
        if ($errbacks === []) {
            return $this;
        }
        throw InvalidCanvas::groupOption('link_error');
    }

    /**
     * Celery's dict of it: celery.chunks with kwargs {task, it, n}, subtask_type null (chunks
     * does not set it); the worker's celery.chunks task then applies the group.
     *
     * @internal
     */
    public function toCelery(): array
    {
        return BuiltinMap::call('celery.chunks', $this->signature, $this->items, $this->options, $this->n)->toCelery();
    }
}
