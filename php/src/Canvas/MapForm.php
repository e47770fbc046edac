<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Message\TaskOptions;

/**
 * What XMap and XStarMap share: one message of the built-in map task, whose signature and items
 * they hold; they differ only in the built-in task and in how an item becomes arguments.
 *
 * @internal
 */
abstract class MapForm implements MapCanvas
{
    /** @var list<mixed> */
    public readonly array $items;

    private readonly Signature $call;

    /**
     * @param string $builtin celery.map or celery.starmap
     * @param bool $star whether each item is a list of positional arguments (starmap)
     * @param iterable<mixed> $items
     * @param array<string, mixed>|TaskOptions $options apply_async options of the built-in task's message
     * @throws InvalidTaskArgument|InvalidOption
     */
    protected function __construct(
        string $builtin,
        bool $star,
        public readonly Signature $signature,
        iterable $items,
        array|TaskOptions $options,
    ) {
        $this->items = BuiltinMap::items($items, $star, substr((string) strrchr(static::class, '\\'), 1));
        $options = $options instanceof TaskOptions ? $options : TaskOptions::fromArray($options);
        $this->call = BuiltinMap::call($builtin, $signature, $this->items, $options);
    }

    /** The apply_async options of the message. */
    public function options(): TaskOptions
    {
        return $this->call->options;
    }

    /**
     * @param array<string, mixed>|TaskOptions $options
     */
    public function withOptions(array|TaskOptions $options): static
    {
        $options = $options instanceof TaskOptions ? $options : $this->call->options->with($options);
        // XMap and XStarMap take (signature, items, options).
        return new static($this->signature, $this->items, $options);
    }

    /** Celery's map forms are immutable: partial arguments are ignored, as the worker ignores them. */
    public function withPartial(array $args, array $kwargs = []): static
    {
        return $this;
    }

    public function asImmutable(): static
    {
        return $this;
    }

    public function withLink(Canvas ...$callbacks): static
    {
        return $callbacks === []
            ? $this
            : $this->withOptions(['link' => [...$this->call->options->link, ...array_values($callbacks)]]);
    }

    public function withLinkError(Canvas ...$errbacks): static
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
