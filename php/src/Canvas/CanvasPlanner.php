<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;

/**
 * Lays a canvas out the way Celery's canvas.py applies it, choosing every task id here so that
 * every result is reachable from PHP:
 *
 * - a chain publishes its first step; the other steps travel in that message's embed "chain",
 *   the next step last, and each worker publishes the step after its own;
 * - a group publishes each task with the group id and its position (group_index);
 * - a chord stores its size, then publishes its header as a group whose tasks all carry the body;
 * - in a chain, a group followed by another step becomes a chord with that step as body
 *   (Celery's `group | sig`), and a chord whose body is a chain keeps the first body task as its
 *   body and continues with the others as chain steps, so every header task carries one task
 *   (elsewhere a chain body travels whole, as a celery.chain dict, as Celery sends it); a
 *   chord whose body is a group, followed by a step, takes that step into its body, as
 *   Celery's `chord | sig` does, so the step runs once with the group's results (a chain
 *   built from a list would hand the step to every task of that group).
 *
 * Parts that a worker publishes later travel as signature dicts, frozen as Celery freezes them
 * (task_id and reply_to set, group membership on the part that completes it).
 *
 * @internal
 * @phpstan-type Tail array{
 *     group_id?: string,
 *     group_index?: int,
 *     chord?: array<string, mixed>,
 *     chain?: list<array<string, mixed>>,
 * }
 * @phpstan-type Builder \Closure(AsyncResult|GroupResult|null): (AsyncResult|GroupResult)
 */
final class CanvasPlanner
{
    /** @var list<PlannedTask> */
    private array $planned = [];

    /** @var array<string, int> */
    private array $chordSizes = [];

    /** @var array<string, GroupResult> */
    private array $savedGroups = [];

    /**
     * @param string $replyTo the publisher's oid, which Celery writes into every frozen signature
     * @param \Closure(): string $newId
     * @param \Closure(string, AsyncResult|GroupResult|null): AsyncResult $newResult
     * @param \Closure(string, list<AsyncResult|GroupResult>, AsyncResult|GroupResult|null): GroupResult $newGroupResult
     */
    public function __construct(
        private readonly string $replyTo,
        private readonly \Closure $newId,
        private readonly \Closure $newResult,
        private readonly \Closure $newGroupResult,
    ) {
    }

    /**
     * @throws InvalidCanvas
     */
    public function plan(Canvas $canvas): Plan
    {
        $this->planned = [];
        $this->chordSizes = [];
        $this->savedGroups = [];
        try {
            $result = $this->publish($canvas, [], null);
            return new Plan($this->planned, $this->chordSizes, $result, $this->savedGroups);
        } finally {
            $this->planned = [];
            $this->chordSizes = [];
            $this->savedGroups = [];
        }
    }

    /**
     * The steps of a chain as Celery runs them: nested chains spliced in, groups followed by a
     * step turned into chords, chord bodies that are chains unrolled.
     *
     * @return list<Canvas>
     */
    public function steps(Chain $chain): array
    {
        $flat = [];
        $emptyGroup = null;
        foreach ($chain->tasks as $task) {
            if ($task instanceof Chain) {
                array_push($flat, ...$this->steps($task));
            } elseif ($task instanceof Chord && $task->body instanceof Chain) {
                array_push($flat, ...$this->steps($this->unroll($task)));
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
    public function chordSize(Canvas $canvas): int
    {
        if ($canvas instanceof Group) {
            return array_sum(array_map($this->chordSize(...), $canvas->flattened()));
        }
        if ($canvas instanceof Chain) {
            $steps = $this->steps($canvas);
            return $this->chordSize($steps[count($steps) - 1]);
        }
        if ($canvas instanceof Chord) {
            return $this->chordSize($canvas->body);
        }
        return 1;
    }

    /**
     * @param Tail $tail what the worker does after this canvas completes
     * @throws InvalidCanvas
     */
    private function publish(Canvas $canvas, array $tail, AsyncResult|GroupResult|null $parent): AsyncResult|GroupResult
    {
        return match (true) {
            $canvas instanceof Signature => $this->publishSignature($canvas, $tail, $parent),
            $canvas instanceof Chain => $this->publishChain($canvas, $tail, $parent),
            $canvas instanceof Group => $this->publishGroup($canvas, $tail, $parent),
            $canvas instanceof Chord => $this->publishChord($canvas, $tail, $parent),
            default => throw InvalidCanvas::unknown($canvas),
        };
    }

    /**
     * @param Tail $tail
     */
    private function publishSignature(
        Signature $signature,
        array $tail,
        AsyncResult|GroupResult|null $parent,
    ): AsyncResult {
        $taskId = $signature->options->taskId ?? ($this->newId)();
        $options = ['task_id' => $taskId];
        if (isset($tail['group_id'])) {
            $options['group_id'] = $tail['group_id'];
        }
        if (isset($tail['group_index'])) {
            $options['group_index'] = $tail['group_index'];
        }
        $this->planned[] = new PlannedTask(
            $signature->withOptions($options),
            $taskId,
            $tail['chain'] ?? null,
            $tail['chord'] ?? null,
        );
        return ($this->newResult)($taskId, $parent);
    }

    /**
     * @param Tail $tail
     */
    private function publishChain(
        Chain $chain,
        array $tail,
        AsyncResult|GroupResult|null $parent,
    ): AsyncResult|GroupResult {
        $steps = $this->steps($chain);
        $last = count($steps) - 1;
        if ($last === 0) {
            return $this->publish($steps[0], $tail, $parent);
        }
        $frozen = [];
        for ($i = 1; $i <= $last; $i++) {
            // Group membership and the chord belong to the step whose result is the chain's.
            $frozen[] = $this->freeze($steps[$i], $i === $last ? self::membership($tail) : []);
        }
        $next = array_reverse(array_map(static fn (array $part): array => $part[0], $frozen));
        $result = $this->publish($steps[0], ['chain' => [...($tail['chain'] ?? []), ...$next]], $parent);
        foreach ($frozen as [, $build]) {
            $result = $build($result);
        }
        return $result;
    }

    /**
     * @param Tail $tail
     */
    private function publishGroup(Group $group, array $tail, AsyncResult|GroupResult|null $parent): GroupResult
    {
        $groupId = $group->id ?? ($this->newId)();
        $results = [];
        foreach ($group->flattened() as $index => $task) {
            $member = ['group_id' => $groupId, 'group_index' => $index];
            if (isset($tail['chord'])) {
                $member['chord'] = $tail['chord'];
            }
            $results[] = $this->publish($task, $member, null);
        }
        return ($this->newGroupResult)($groupId, $results, $parent);
    }

    /**
     * @param Tail $tail
     */
    private function publishChord(
        Chord $chord,
        array $tail,
        AsyncResult|GroupResult|null $parent,
    ): AsyncResult|GroupResult {
        $groupId = $chord->header->id ?? ($this->newId)();
        if ($chord->header->flattened() === []) {
            // No header task will ever complete the chord: Celery's chord.run publishes the
            // body at once, as body.delay([]), with the empty header as its parent.
            return $this->publish(
                $chord->body->withPartial([[]]),
                ['group_id' => $tail['group_id'] ?? $groupId] + $tail,
                ($this->newGroupResult)($groupId, [], $parent),
            );
        }
        // The body belongs to the enclosing group if there is one, else to the chord's own.
        [$body, $build] = $this->freeze($chord->body, ['group_id' => $tail['group_id'] ?? $groupId] + $tail);
        if (isset($tail['group_id'])) {
            // A group applies its tasks with add_to_parent=False, which Celery's chord hands on
            // to its body: the worker completing the chord does not list it as its child.
            $body['options']->add_to_parent = false;
        }
        $size = $this->chordSize($chord->header);
        // 5.1+ workers compare the header count with the size key the client stores first;
        // 5.0 workers read it from the body they were given instead.
        $body['chord_size'] = $size;
        $this->chordSizes[$groupId] = $size;
        $header = $chord->header->withOptions(['task_id' => $groupId]);
        $headerResult = $this->publishGroup($header, ['chord' => $body], $parent);
        foreach ($headerResult->results as $member) {
            if ($member instanceof GroupResult) {
                // Celery's RedisBackend.apply_chord saves such a header (without its parent), and
                // the worker completing the chord then hands the body the nested shape, [[a, b]],
                // instead of flattening it.
                $this->savedGroups[$groupId] = ($this->newGroupResult)($groupId, $headerResult->results, null);
                break;
            }
        }
        return $build($headerResult);
    }

    /**
     * @param Tail $context group membership, chord, chain continuation of this part
     * @return array{array<string, mixed>, Builder}
     * @throws InvalidCanvas
     */
    private function freeze(Canvas $canvas, array $context): array
    {
        return match (true) {
            $canvas instanceof Signature => $this->freezeSignature($canvas, $context),
            $canvas instanceof Chain => $this->freezeChain($canvas, $context),
            $canvas instanceof Group => $this->freezeGroup($canvas, $context),
            $canvas instanceof Chord => $this->freezeChord($canvas, $context),
            default => throw InvalidCanvas::unknown($canvas),
        };
    }

    /**
     * @param Tail $context
     * @return array{array<string, mixed>, Builder}
     */
    private function freezeSignature(Signature $signature, array $context): array
    {
        $taskId = $signature->options->taskId ?? ($this->newId)();
        $dict = $signature->toCelery();
        $dict['options']->task_id = $taskId;
        $dict['options']->reply_to ??= $this->replyTo;
        self::addContext($dict['options'], $context);
        return [$dict, fn (AsyncResult|GroupResult|null $parent): AsyncResult => ($this->newResult)($taskId, $parent)];
    }

    /**
     * @param Tail $context
     * @return array{array<string, mixed>, Builder}
     */
    private function freezeChain(Chain $chain, array $context): array
    {
        $steps = $this->steps($chain);
        $last = count($steps) - 1;
        if ($last === 0) {
            return $this->freeze($steps[0], $context);
        }
        $dicts = [];
        $builders = [];
        foreach ($steps as $i => $step) {
            [$dicts[], $builders[]] = $this->freeze($step, $i === $last ? $context : []);
        }
        // Celery's frozen chain carries the id of its result, the last step's.
        $options = new \stdClass();
        $options->task_id = $builders[$last](null)->id;
        $dict = SignatureDict::make('celery.chain', [], ['tasks' => $dicts], $options, 'chain');
        return [$dict, static function (AsyncResult|GroupResult|null $parent) use ($builders): AsyncResult|GroupResult {
            foreach ($builders as $build) {
                $parent = $build($parent);
            }
            return $parent;
        }];
    }

    /**
     * Celery freezes a group's tasks with the group's membership and chord, so that a group
     * ending a chain in a chord header counts each of its tasks toward that chord.
     *
     * @param Tail $context
     * @return array{array<string, mixed>, Builder}
     */
    private function freezeGroup(Group $group, array $context): array
    {
        $groupId = $group->id ?? ($this->newId)();
        $membership = array_intersect_key($context, ['group_id' => true, 'chord' => true]);
        [$dicts, $builders] = $this->freezeMembers($group, $membership);
        $options = self::groupOptions($groupId);
        self::addContext($options, $context);
        $dict = SignatureDict::make('celery.group', [], ['tasks' => $dicts], $options, 'group');
        return [$dict, fn (AsyncResult|GroupResult|null $parent): GroupResult => ($this->newGroupResult)(
            $groupId,
            array_map(static fn (\Closure $build): AsyncResult|GroupResult => $build(null), $builders),
            $parent,
        )];
    }

    /**
     * A chord the worker applies itself (chord.run): it stores the size and publishes the header.
     *
     * @param Tail $context
     * @return array{array<string, mixed>, Builder}
     */
    private function freezeChord(Chord $chord, array $context): array
    {
        $groupId = $chord->header->id ?? ($this->newId)();
        // Celery leaves the chord out of the header tasks here: chord.run adds it when it publishes.
        [$dicts, $builders] = $this->freezeMembers($chord->header, []);
        $header = SignatureDict::make('celery.group', [], ['tasks' => $dicts], self::groupOptions($groupId), 'group');
        [$body, $buildBody] = $this->freeze($chord->body, $context);
        $options = new \stdClass();
        $options->task_id = $groupId;
        $dict = SignatureDict::make(
            'celery.chord',
            [],
            ['kwargs' => new \stdClass(), 'header' => $header, 'body' => $body],
            $options,
            'chord',
        );
        $build = function (AsyncResult|GroupResult|null $parent) use ($groupId, $builders, $buildBody) {
            $header = ($this->newGroupResult)(
                $groupId,
                array_map(static fn (\Closure $build): AsyncResult|GroupResult => $build(null), $builders),
                $parent,
            );
            return $buildBody($header);
        };
        return [$dict, $build];
    }

    /**
     * @param Tail $context
     * @return array{list<array<string, mixed>>, list<Builder>}
     */
    private function freezeMembers(Group $group, array $context): array
    {
        $dicts = [];
        $builders = [];
        foreach ($group->flattened() as $index => $task) {
            [$dicts[], $builders[]] = $this->freeze($task, $context + ['group_index' => $index]);
        }
        return [$dicts, $builders];
    }

    /**
     * chord(header, chain(a, b, c)) runs as chain(chord(header, a), b, c).
     */
    private function unroll(Chord $chord): Chain
    {
        \assert($chord->body instanceof Chain);
        $body = $this->steps($chord->body);
        return new Chain(new Chord($chord->header, $body[0]), ...array_slice($body, 1));
    }

    private static function groupOptions(string $groupId): \stdClass
    {
        $options = new \stdClass();
        $options->task_id = $groupId;
        $options->root_id = null;
        $options->parent_id = null;
        return $options;
    }

    /**
     * @param Tail $context
     */
    private static function addContext(\stdClass $options, array $context): void
    {
        foreach (['group_id', 'chord', 'group_index', 'chain'] as $name) {
            if (isset($context[$name])) {
                $options->{$name} = $context[$name];
            }
        }
    }

    /**
     * @param Tail $tail
     * @return Tail
     */
    private static function membership(array $tail): array
    {
        return array_intersect_key($tail, ['group_id' => true, 'group_index' => true, 'chord' => true]);
    }
}
