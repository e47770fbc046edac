<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

/**
 * The shape Celery gives a canvas before it runs it: a chain's steps (prepare_steps) and the
 * number of results a chord waits for (_chord._descend).
 *
 * @internal
 */
final class CanvasSteps
{
    private function __construct()
    {
    }

    /**
     * The steps of a chain as Celery runs them: nested chains spliced in, groups followed by a
     * step turned into chords, chord bodies that are chains unrolled.
     *
     * @return list<Canvas>
     */
    public static function of(Chain $chain): array
    {
        $flat = [];
        $emptyGroup = null;
        foreach ($chain->tasks as $task) {
            if ($task instanceof Chain) {
                array_push($flat, ...self::of($task));
            } elseif ($task instanceof Chord && $task->body instanceof Chain) {
                array_push($flat, ...self::of(self::unroll($task)));
            } elseif ($task instanceof Group && $task->flattened() === []) {
                // Celery skips an empty group in a chain, unless nothing else is left.
                $emptyGroup = $task;
            } else {
                $flat[] = $task;
            }
        }
        if ($flat === [] && $emptyGroup !== null) {
            return [$emptyGroup];
        }
        $reversed = [];
        for ($i = count($flat) - 1; $i >= 0; $i--) {
            $task = $flat[$i];
            if ($reversed !== []) {
                // A group cannot pass its results on by itself: the next step becomes a chord body.
                if ($task instanceof Group) {
                    $task = new Chord($task, array_pop($reversed));
                } elseif ($task instanceof Chord && $task->body instanceof Group) {
                    $task = new Chord($task->header, new Chord($task->body, array_pop($reversed)));
                }
            }
            $reversed[] = $task;
        }
        return array_reverse($reversed);
    }

    /**
     * How many header results a chord waits for (Celery's _chord._descend): a group counts its
     * tasks, a chain its last step, a chord its body.
     */
    public static function chordSize(Canvas $canvas): int
    {
        if ($canvas instanceof Group) {
            return array_sum(array_map(self::chordSize(...), $canvas->flattened()));
        }
        if ($canvas instanceof Chain) {
            $steps = self::of($canvas);
            return self::chordSize($steps[count($steps) - 1]);
        }
        if ($canvas instanceof Chord) {
            return self::chordSize($canvas->body);
        }
        return 1;
    }

    /**
     * chord(header, chain(a, b, c)) runs as chain(chord(header, a), b, c).
     */
    private static function unroll(Chord $chord): Chain
    {
        \assert($chord->body instanceof Chain);
        $body = self::of($chord->body);
        return new Chain(new Chord($chord->header, $body[0]), ...array_slice($body, 1));
    }
}
