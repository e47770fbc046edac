<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Message\Embeddable;
use CeleryBridge\Message\TaskCall;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Wire\KombuJson;
use CeleryBridge\Wire\KombuMarker;

/**
 * One task call: name, arguments and apply_async options (Celery's signature / `.s()`).
 *
 * Arguments are validated when the signature is made, so a signature that exists can be sent.
 */
final class Signature implements Canvas, TaskCall
{
    public readonly TaskOptions $options;

    /**
     * @internal whether no apply_async option was given: read by sendMany()'s loop for every
     *           task (ChunkBuilder::addAll()), where a method call would cost more than the check
     */
    public readonly bool $optionless;

    /** @var list<mixed> */
    private readonly array $wireArgs;

    private readonly \stdClass $wireKwargs;

    /** @var array<array-key, mixed> keyword arguments; numeric names are int keys (PHP's rule) */
    public readonly array $kwargs;

    /** The kwargs as given: a stdClass keeps names such as "0" that a PHP array turns into ints. */
    private readonly array|\stdClass $givenKwargs;

    /**
     * @param list<mixed> $args
     * @param array<string, mixed>|\stdClass $kwargs a stdClass (e.g. from json_decode()) for
     *        keyword names a PHP array cannot keep as strings, such as "0"
     * @param array<string, mixed>|TaskOptions $options Celery's apply_async option names
     * @param bool $immutable true for Celery's `.si()`: the parent's result is not prepended to args
     * @throws InvalidTaskArgument|InvalidOption
     */
    public function __construct(
        public readonly string $task,
        public readonly array $args = [],
        array|\stdClass $kwargs = [],
        array|TaskOptions $options = [],
        public readonly bool $immutable = false,
    ) {
        TaskName::check($task);
        if (!array_is_list($args)) {
            throw InvalidTaskArgument::at('args', 'must be a list (positional arguments); pass named arguments as kwargs.');
        }
        $this->givenKwargs = $kwargs;
        $named = $kwargs instanceof \stdClass;
        $kwargs = $named ? get_object_vars($kwargs) : $kwargs;
        $this->kwargs = $kwargs;
        foreach (array_keys($kwargs) as $key) {
            // An object's property names are strings even when PHP lists them as int keys.
            if ((!is_string($key) && !$named) || $key === '') {
                throw InvalidTaskArgument::at('kwargs', sprintf(
                    'has the key %s; keyword arguments need non-empty string names.',
                    var_export($key, true),
                ));
            }
        }
        if (KombuMarker::shaped($kwargs)) {
            // kombu would decode the whole kwargs object as one typed value: no mapping is left.
            throw InvalidTaskArgument::at('kwargs', 'has exactly the keys __type__ and __value__, which kombu decodes '
                . 'as one typed value instead of keyword arguments; rename them or add another.');
        }
        $options = $options instanceof TaskOptions ? $options : TaskOptions::fromArray($options);
        $this->options = $options->stamps === [] ? $options : self::stampCallbacks($options);
        $this->optionless = $this->options->toArray() === [];
        $this->wireArgs = KombuJson::normalize($args, 'args');
        $wireKwargs = KombuJson::normalize($named ? $this->givenKwargs : $kwargs, 'kwargs');
        // Celery drops a task whose kwargs is a JSON array: an empty one must still be {}.
        $this->wireKwargs = $wireKwargs instanceof \stdClass ? $wireKwargs : new \stdClass();
    }

    /**
     * @param array<string, mixed>|TaskOptions $options
     */
    public function withOptions(array|TaskOptions $options): self
    {
        $options = $options instanceof TaskOptions ? $options : $this->options->with($options);
        return new self($this->task, $this->args, $this->givenKwargs, $options, $this->immutable);
    }

    /**
     * @param list<mixed> $args
     */
    public function withArgs(array $args): self
    {
        return new self($this->task, $args, $this->givenKwargs, $this->options, $this->immutable);
    }

    /**
     * @param array<string, mixed> $kwargs
     */
    public function withKwargs(array $kwargs): self
    {
        return new self($this->task, $this->args, $kwargs, $this->options, $this->immutable);
    }

    public function withPartial(array $args, array $kwargs = []): self
    {
        if ($this->immutable || ($args === [] && $kwargs === [])) {
            return $this;
        }
        $merged = $this->givenKwargs instanceof \stdClass
            ? (object) array_replace($this->kwargs, $kwargs)
            : array_merge($this->kwargs, $kwargs);
        return new self($this->task, [...array_values($args), ...$this->args], $merged, $this->options);
    }

    /** Celery's `.si()`: the parent task's result is not prepended to this one's args. */
    public function asImmutable(): self
    {
        return new self($this->task, $this->args, $this->givenKwargs, $this->options, true);
    }

    /**
     * Adds to the callbacks already set (the "link" option replaces them).
     */
    public function withLink(Canvas ...$callbacks): self
    {
        return $callbacks === []
            ? $this
            : $this->withOptions(['link' => [...$this->options->link, ...array_values($callbacks)]]);
    }

    /**
     * Adds to the errbacks already set (the "link_error" option replaces them).
     */
    public function withLinkError(Canvas ...$errbacks): self
    {
        return $errbacks === []
            ? $this
            : $this->withOptions(['link_error' => [...$this->options->linkError, ...array_values($errbacks)]]);
    }

    /**
     * Celery's stamp() stamps a task's callbacks and errbacks along with it.
     */
    private static function stampCallbacks(TaskOptions $options): TaskOptions
    {
        $stamped = [];
        foreach (['link' => $options->link, 'link_error' => $options->linkError] as $name => $callbacks) {
            if ($callbacks !== []) {
                $stamped[$name] = array_map(
                    static fn (Embeddable $c): Embeddable => $c instanceof Canvas ? $c->withOptions(['stamps' => $options->stamps]) : $c,
                    $callbacks,
                );
            }
        }
        return $stamped === [] ? $options : $options->with($stamped);
    }

    /** @internal */
    public function taskName(): string
    {
        return $this->task;
    }

    /** @internal */
    public function taskOptions(): TaskOptions
    {
        return $this->options;
    }

    /**
     * The positional arguments as kombu JSON data.
     *
     * @internal
     * @return list<mixed>
     */
    public function wireArgs(): array
    {
        return $this->wireArgs;
    }

    /** @internal */
    public function wireKwargs(): \stdClass
    {
        return $this->wireKwargs;
    }

    /**
     * The signature dict Celery embeds in messages (callbacks, chain, chord):
     * task, args, kwargs, options, subtask_type, immutable.
     *
     * @internal
     * @return array<string, mixed>
     */
    public function toCelery(): array
    {
        return SignatureDict::make(
            $this->task,
            $this->wireArgs,
            $this->wireKwargs,
            SignatureDict::options($this->options),
            null,
            $this->immutable,
        );
    }
}
