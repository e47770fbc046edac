<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Message\TaskOptions;

/**
 * Celery's xmap (`task.map(it)`): one celery.map task. Calls the task once per item with the
 * item as its one argument, in sequence in one worker process (not in parallel like a Group),
 * and returns the list of results:
 *
 *     new XMap(new Signature('tasks.xsum'), [[1, 2], [3, 4]])   // [3, 7]
 *
 * The message is celery.map with kwargs {"task": <the signature>, "it": [...]}; task_routes
 * route it by the mapped task's name, as Celery does. It is immutable (a parent's result is
 * never prepended), and may stand wherever a Signature may: alone, as a chain step, in a group,
 * a chord header or body, or as a callback.
 */
final class XMap implements MapCanvas
{
    /** @var list<mixed> */
    public readonly array $items;

    private readonly Signature $call;

    /**
     * @param Signature $signature the task to call; only its name reaches the worker's call
     * @param iterable<mixed> $items
     * @param array<string, mixed>|TaskOptions $options apply_async options of the celery.map message
     * @throws InvalidTaskArgument|InvalidOption
     */
    public function __construct(
        public readonly Signature $signature,
        iterable $items,
        array|TaskOptions $options = [],
    ) {
        $this->items = BuiltinMap::items($items, false, 'XMap');
        $options = $options instanceof TaskOptions ? $options : TaskOptions::fromArray($options);
        $this->call = BuiltinMap::call('celery.map', $signature, $this->items, $options);
    }

    /** The apply_async options of the message. */
    public function options(): TaskOptions
    {
        return $this->call->options;
    }

    /**
     * @param array<string, mixed>|TaskOptions $options
     */
    public function withOptions(array|TaskOptions $options): self
    {
        $options = $options instanceof TaskOptions ? $options : $this->call->options->with($options);
        return new self($this->signature, $this->items, $options);
    }

    /** Celery's map forms are immutable: partial arguments are ignored, as the worker ignores them. */
    public function withPartial(array $args, array $kwargs = []): self
    {
        return $this;
    }

    public function asImmutable(): self
    {
        return $this;
    }

    public function withLink(Canvas ...$callbacks): self
    {
        return $callbacks === []
            ? $this
            : $this->withOptions(['link' => [...$this->call->options->link, ...array_values($callbacks)]]);
    }

    public function withLinkError(Canvas ...$errbacks): self
    {
        return $errbacks === []
            ? $this
            : $this->withOptions(['link_error' => [...$this->call->options->linkError, ...array_values($errbacks)]]);
    }

    /** @internal */
    public function call(): Signature
    {
        return $this->call;
    }

    /** @internal */
    public function routeName(): string
    {
        return $this->signature->task;
    }

    /**
     * Celery's dict of it: the built-in task's signature dict, with subtask_type null (xmap and
     * xstarmap do not set it), so a worker rebuilds it as a plain signature of that task.
     *
     * @internal
     */
    public function toCelery(): array
    {
        return $this->call->toCelery();
    }
}
