<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultHandles;

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
 * Parts that a worker publishes later travel as signature dicts that CanvasFreezer freezes as
 * Celery does; the chain and chord rules above are CanvasSteps'.
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

    /** Freezes the parts a worker publishes later. */
    private readonly CanvasFreezer $freezer;

    /**
     * @param string $replyTo the publisher's oid, which Celery writes into every frozen signature
     * @param \Closure(): string $newId every task and group id (Uuid::v4 but in tests)
     * @param ResultHandles $handles makes the result handles of the planned tasks
     */
    public function __construct(
        string $replyTo,
        private readonly \Closure $newId,
        private readonly ResultHandles $handles,
    ) {
        $this->freezer = new CanvasFreezer($replyTo, $newId, $handles);
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
            // Celery's chunks.apply_async() applies its group.
            $result = $this->publish($canvas instanceof Chunks ? $canvas->group() : $canvas, [], null);
            return new Plan($this->planned, $this->chordSizes, $result, $this->savedGroups);
        } finally {
            $this->planned = [];
            $this->chordSizes = [];
            $this->savedGroups = [];
        }
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
            $canvas instanceof MapCanvas => $this->publishSignature($canvas->call(), $tail, $parent, $canvas->routeName()),
            $canvas instanceof Chunks => throw InvalidCanvas::nestedChunks(),
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
        ?string $routeName = null,
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
            $routeName,
        );
        return $this->handles->result($taskId, $parent);
    }

    /**
     * @param Tail $tail
     */
    private function publishChain(
        Chain $chain,
        array $tail,
        AsyncResult|GroupResult|null $parent,
    ): AsyncResult|GroupResult {
        $steps = CanvasSteps::of($chain);
        $last = count($steps) - 1;
        if ($last === 0) {
            return $this->publish($steps[0], $tail, $parent);
        }
        $frozen = [];
        for ($i = 1; $i <= $last; $i++) {
            // Group membership and the chord belong to the step whose result is the chain's.
            $frozen[] = $this->freezer->freeze($steps[$i], $i === $last ? self::membership($tail) : []);
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
        return $this->handles->group($groupId, $results, $parent);
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
                $this->handles->group($groupId, [], $parent),
            );
        }
        // The body belongs to the enclosing group if there is one, else to the chord's own.
        [$body, $build] = $this->freezer->freeze($chord->body, ['group_id' => $tail['group_id'] ?? $groupId] + $tail);
        if (isset($tail['group_id'])) {
            // A group applies its tasks with add_to_parent=False, which Celery's chord hands on
            // to its body: the worker completing the chord does not list it as its child.
            $body['options']->add_to_parent = false;
        }
        $size = CanvasSteps::chordSize($chord->header);
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
                $this->savedGroups[$groupId] = $this->handles->group($groupId, $headerResult->results, null);
                break;
            }
        }
        return $build($headerResult);
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
