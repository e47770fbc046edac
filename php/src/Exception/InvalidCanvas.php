<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A chain, group or chord that Celery could not run as asked (or would run differently from
 * what the code says), refused before anything is published.
 */
final class InvalidCanvas extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function empty(string $form): self
    {
        return new self(sprintf('A %s needs at least one task; an empty one would never produce a result.', $form));
    }

    public static function linkOnEmptyGroup(): self
    {
        return new self('An empty Group cannot take a callback: Celery\'s group.link() links it to the first task, '
            . 'and there is none. Use a Chord, whose body runs with [] when its header is empty.');
    }

    public static function groupOption(string $option): self
    {
        return new self(match ($option) {
            'link' => 'A Group cannot take the "link" option (Celery\'s group.apply_async() refuses it too): '
                . 'use a Chord, whose body runs once with the results of every task, or Group::withLink() '
                . '(Celery\'s group.link(): after the first task only).',
            'link_error' => 'A Group cannot have a "link_error" callback (Celery refuses it too): '
                . 'set link_error on each of its tasks.',
            default => sprintf(
                'The option "%s" cannot be set on a Group: Celery gives every task of a group the group\'s id '
                . 'and its position; choose the group id with "task_id".',
                $option,
            ),
        });
    }

    public static function notACanvas(string $type): self
    {
        return new self(sprintf(
            'sendMany() takes canvases (Signature, Chain, Group, Chord); got %s. '
            . 'Wrap a task call as new Signature($name, $args, $kwargs).',
            $type,
        ));
    }

    public static function chordWithoutBackend(): self
    {
        return new self('A chord needs the result backend the workers use: its body runs when the workers have '
            . 'counted every header result there. Pass backend: (Celery\'s result_backend URL) to the CeleryClient.');
    }

    public static function chainWithProtocolOne(): self
    {
        return new self('Chains need task_protocol 2: protocol 1 messages have no "chain" field, so a worker '
            . 'would run the first task and silently drop the rest.');
    }

    public static function nestedChunks(): self
    {
        return new self('A Chunks cannot be a step of a Chain, a member of a Group or part of a Chord: Celery sends it '
            . 'there as one celery.chunks task, which applies the parts itself and returns their GroupResult, '
            . 'a value the JSON result serializer cannot store (the task fails with EncodeError). Use '
            . '$chunks->group() there (Celery\'s chunks.group()), or send the Chunks alone.');
    }

    public static function unknown(object $canvas): self
    {
        return new self(sprintf(
            'Cannot send an object of class %s: only Signature, Chain, Group, Chord, XMap, XStarMap and Chunks from '
            . 'CeleryBridge\\Canvas '
            . 'are canvas forms Celery workers know.',
            $canvas::class,
        ));
    }
}
