<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Message\TaskOptions;

/**
 * Tasks run in parallel (Celery's group). Every task carries the group id and its position,
 * and sending the group returns a GroupResult whose values come in the order of the tasks.
 *
 * A group inside a group is flattened into it, as Celery does. An empty group publishes
 * nothing and its result is an empty list; in a chain it is skipped, unless it is the
 * only step; as a chord header it runs the body at once with [] (all as Celery does).
 */
final class Group implements Canvas
{
    /** @var list<Canvas> */
    public readonly array $tasks;

    /** The group id, when chosen in advance with the task_id option. */
    public readonly ?string $id;

    public function __construct(Canvas ...$tasks)
    {
        $this->tasks = array_values($tasks);
        $this->id = null;
    }

    /**
     * @param list<Canvas> $tasks
     * @param array<string, mixed>|TaskOptions $options
     * @throws InvalidCanvas
     */
    public static function fromList(array $tasks, array|TaskOptions $options = []): self
    {
        return (new self(...array_values($tasks)))->withOptions($options);
    }

    /**
     * Celery's group options: task_id becomes the group id, every other option goes to each
     * task. The link and link_error options are refused, as Celery's group.apply_async()
     * refuses them: use a Chord, or withLink() / withLinkError() (Celery's group.link() and
     * group.link_error()).
     *
     * @param array<string, mixed>|TaskOptions $options
     * @throws InvalidCanvas
     */
    public function withOptions(array|TaskOptions $options): self
    {
        $options = $options instanceof TaskOptions ? $options : TaskOptions::fromArray($options);
        $given = $options->toArray();
        foreach (['link', 'link_error', 'group_id', 'group_index'] as $refused) {
            if (array_key_exists($refused, $given)) {
                throw InvalidCanvas::groupOption($refused);
            }
        }
        $rest = array_diff_key($given, ['task_id' => true]);
        $tasks = $rest === []
            ? $this->tasks
            : array_map(static fn (Canvas $task) => $task->withOptions($rest), $this->tasks);
        return self::create($tasks, $options->taskId ?? $this->id);
    }

    /** Every task gets them, as in Celery's group.apply_async(args, kwargs). */
    public function withPartial(array $args, array $kwargs = []): self
    {
        if ($args === [] && $kwargs === []) {
            return $this;
        }
        return self::create(array_map(static fn (Canvas $task) => $task->withPartial($args, $kwargs), $this->tasks), $this->id);
    }

    /**
     * Celery's group.link(): the callback, made immutable, is linked to the group's first task
     * only, so it runs once, after that task (not after the whole group: that is a Chord), and
     * without the task's result.
     */
    public function withLink(Canvas ...$callbacks): self
    {
        if ($callbacks === []) {
            return $this;
        }
        if ($this->tasks === []) {
            throw InvalidCanvas::linkOnEmptyGroup();
        }
        $tasks = $this->tasks;
        $tasks[0] = $tasks[0]->withLink(...array_map(static fn (Canvas $c): Canvas => $c->asImmutable(), $callbacks));
        return self::create($tasks, $this->id);
    }

    /** Celery's group.set_immutable(): every task becomes immutable, the group itself does not. */
    public function asImmutable(): self
    {
        return self::create(array_map(static fn (Canvas $task): Canvas => $task->asImmutable(), $this->tasks), $this->id);
    }

    /** Adds the errbacks to every task of the group (Celery's group.link_error()). */
    public function withLinkError(Canvas ...$errbacks): self
    {
        if ($errbacks === []) {
            return $this;
        }
        $tasks = array_map(static fn (Canvas $task) => $task->withLinkError(...$errbacks), $this->tasks);
        return self::create($tasks, $this->id);
    }

    /**
     * The tasks with nested groups spliced in, in order.
     *
     * @internal
     * @return list<Canvas>
     */
    public function flattened(): array
    {
        $flat = [];
        foreach ($this->tasks as $task) {
            if ($task instanceof self) {
                array_push($flat, ...$task->flattened());
            } else {
                $flat[] = $task;
            }
        }
        return $flat;
    }

    public function toCelery(): array
    {
        $options = new \stdClass();
        if ($this->id !== null) {
            $options->task_id = $this->id;
        }
        return SignatureDict::make(
            'celery.group',
            [],
            ['tasks' => array_map(static fn (Canvas $task) => $task->toCelery(), $this->tasks)],
            $options,
            'group',
        );
    }

    /**
     * @param list<Canvas> $tasks
     */
    private static function create(array $tasks, ?string $id): self
    {
        $group = new self(...$tasks);
        if ($id === null) {
            return $group;
        }
        // The variadic constructor cannot take the id, and readonly properties are set once:
        // build the copy without it.
        $copy = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $copy->tasks = $group->tasks;
        $copy->id = $id;
        return $copy;
    }
}
