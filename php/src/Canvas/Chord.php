<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Message\TaskOptions;

/**
 * A group (the header) whose results, in header order, are passed as one list to the body
 * (Celery's chord). Sending it returns the body's result; its parent is the header's
 * GroupResult.
 *
 * With the Redis result backend the workers count finished header tasks against the chord
 * size the client stores before publishing, so a chord needs the client's backend. A chord
 * with an empty header publishes its body at once with [] as the header's results, as Celery's
 * chord.run does.
 */
final class Chord implements Canvas
{
    public readonly Group $header;

    public readonly Canvas $body;

    /**
     * @param Group|list<Canvas> $header
     * @param array<string, mixed>|TaskOptions $options see withOptions()
     * @throws InvalidCanvas
     */
    public function __construct(Group|array $header, Canvas $body, array|TaskOptions $options = [])
    {
        $header = $header instanceof Group ? $header : new Group(...array_values($header));
        [$this->header, $this->body] = self::distribute(
            $header,
            $body,
            $options instanceof TaskOptions ? $options : TaskOptions::fromArray($options),
        );
    }

    /**
     * Celery's chord options: task_id names the body, link and link_error are added to the
     * body, countdown and eta delay the header, stamps go to the header tasks, and every other
     * option goes to the header tasks and to the body.
     *
     * @param array<string, mixed>|TaskOptions $options
     */
    public function withOptions(array|TaskOptions $options): self
    {
        return new self($this->header, $this->body, $options);
    }

    /** Every header task gets them, as in Celery's chord.apply_async(args, kwargs). */
    public function withPartial(array $args, array $kwargs = []): self
    {
        return $args === [] && $kwargs === [] ? $this : new self($this->header->withPartial($args, $kwargs), $this->body);
    }

    /** Celery's chord.set_immutable(): the header tasks become immutable. */
    public function asImmutable(): self
    {
        return new self($this->header->asImmutable(), $this->body);
    }

    /** Adds the callbacks to the body, which runs last. */
    public function withLink(Canvas ...$callbacks): self
    {
        return $callbacks === [] ? $this : new self($this->header, $this->body->withLink(...$callbacks));
    }

    /**
     * Adds the errbacks to the body. When a header task fails the chord fails the body with a
     * ChordError and runs the body's errbacks.
     */
    public function withLinkError(Canvas ...$errbacks): self
    {
        return $errbacks === [] ? $this : new self($this->header, $this->body->withLinkError(...$errbacks));
    }

    public function toCelery(): array
    {
        return SignatureDict::make(
            'celery.chord',
            [],
            ['kwargs' => new \stdClass(), 'header' => $this->header->toCelery(), 'body' => $this->body->toCelery()],
            new \stdClass(),
            'chord',
        );
    }

    /**
     * @return array{Group, Canvas}
     */
    private static function distribute(Group $header, Canvas $body, TaskOptions $options): array
    {
        $given = $options->toArray();
        if ($given === []) {
            return [$header, $body];
        }
        if ($options->taskId !== null) {
            $body = $body->withOptions(['task_id' => $options->taskId]);
        }
        $body = $body->withLink(...$options->link)->withLinkError(...$options->linkError);
        $rest = array_diff_key($given, array_flip(['task_id', 'link', 'link_error']));
        if ($rest !== []) {
            $header = $header->withOptions($rest);
        }
        // The header task that completes the chord publishes the body: it is the body's parent.
        // Celery's chord.stamp() stamps the header tasks only.
        $bodyOptions = array_diff_key($rest, array_flip(['countdown', 'eta', 'parent_id', 'stamps']));
        if ($bodyOptions !== []) {
            $body = $body->withOptions($bodyOptions);
        }
        return [$header, $body];
    }
}
