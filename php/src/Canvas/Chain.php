<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Message\TaskOptions;

/**
 * Tasks run one after the other, each result passed to the next step as its first argument
 * (Celery's chain / `a | b`). Sending it returns the last step's result; the earlier ones are
 * reachable through `parent`.
 *
 * A step may be any canvas: a group step runs its tasks in parallel, and a group followed by
 * another step becomes a chord, as in Celery.
 */
final class Chain implements Canvas
{
    /** @var list<Canvas> */
    public readonly array $tasks;

    /** Set on a copy by asImmutable(): the worker then runs the chain without the parent's result. */
    private bool $immutable = false;

    /**
     * @throws InvalidCanvas when there is no task
     */
    public function __construct(Canvas ...$tasks)
    {
        if ($tasks === []) {
            throw InvalidCanvas::empty('Chain');
        }
        $this->tasks = array_values($tasks);
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

    /** A copy with more steps at the end (Celery's `chain | sig`). */
    public function then(Canvas ...$tasks): self
    {
        return $this->withTasks([...$this->tasks, ...array_values($tasks)]);
    }

    /**
     * Celery's chain options: task_id names the last step, link is added to the last step,
     * link_error and stamps to every step, and every other option goes to the first step only (the
     * worker publishes the later steps with their own options).
     *
     * @param array<string, mixed>|TaskOptions $options
     */
    public function withOptions(array|TaskOptions $options): self
    {
        $options = $options instanceof TaskOptions ? $options : TaskOptions::fromArray($options);
        $given = $options->toArray();
        if ($given === []) {
            return $this;
        }
        $tasks = $this->tasks;
        $last = count($tasks) - 1;
        if ($options->taskId !== null) {
            $tasks[$last] = $tasks[$last]->withOptions(['task_id' => $options->taskId]);
        }
        $tasks[$last] = $tasks[$last]->withLink(...$options->link);
        $tasks = array_map(static fn (Canvas $task) => $task->withLinkError(...$options->linkError), $tasks);
        if ($options->stamps !== []) {
            $tasks = array_map(static fn (Canvas $task) => $task->withOptions(['stamps' => $options->stamps]), $tasks);
        }
        $rest = array_diff_key($given, array_flip(['task_id', 'link', 'link_error', 'stamps']));
        if ($rest !== []) {
            $tasks[0] = $tasks[0]->withOptions($rest);
        }
        return $this->withTasks($tasks);
    }

    /** The first task gets them, as in Celery's chain.apply_async(args, kwargs). */
    public function withPartial(array $args, array $kwargs = []): self
    {
        if ($this->immutable || ($args === [] && $kwargs === [])) {
            return $this;
        }
        $tasks = $this->tasks;
        $tasks[0] = $tasks[0]->withPartial($args, $kwargs);
        return $this->withTasks($tasks);
    }

    /** Celery's chain.set(immutable=True): the first task is not given the parent's result. */
    public function asImmutable(): self
    {
        $copy = clone $this;
        $copy->immutable = true;
        return $copy;
    }

    public function withLink(Canvas ...$callbacks): self
    {
        if ($callbacks === []) {
            return $this;
        }
        $tasks = $this->tasks;
        $last = count($tasks) - 1;
        $tasks[$last] = $tasks[$last]->withLink(...$callbacks);
        return $this->withTasks($tasks);
    }

    public function withLinkError(Canvas ...$errbacks): self
    {
        if ($errbacks === []) {
            return $this;
        }
        return $this->withTasks(array_map(static fn (Canvas $task) => $task->withLinkError(...$errbacks), $this->tasks));
    }

    public function toCelery(): array
    {
        return SignatureDict::make(
            'celery.chain',
            [],
            ['tasks' => array_map(static fn (Canvas $task) => $task->toCelery(), $this->tasks)],
            new \stdClass(),
            'chain',
            $this->immutable,
        );
    }

    /**
     * @param list<Canvas> $tasks
     */
    private function withTasks(array $tasks): self
    {
        $copy = new self(...$tasks);
        $copy->immutable = $this->immutable;
        return $copy;
    }
}
