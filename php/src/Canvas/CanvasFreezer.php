<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultHandles;

/**
 * The parts of a canvas that a worker publishes later (a chain's next steps, a chord's body,
 * callbacks), as signature dicts frozen as Celery freezes them: task_id and reply_to set, group
 * membership on the part that completes it. Each comes with the builder of its result handle.
 *
 * @internal
 * @phpstan-import-type Tail from CanvasPlanner
 * @phpstan-import-type Builder from CanvasPlanner
 */
final class CanvasFreezer
{
    /**
     * @param string $replyTo the publisher's oid, which Celery writes into every frozen signature
     * @param \Closure(): string $newId
     */
    public function __construct(
        private readonly string $replyTo,
        private readonly \Closure $newId,
        private readonly ResultHandles $handles,
    ) {
    }

    /**
     * @param Tail $context group membership, chord, chain continuation of this part
     * @return array{array<string, mixed>, Builder}
     * @throws InvalidCanvas
     */
    public function freeze(Canvas $canvas, array $context): array
    {
        return match (true) {
            $canvas instanceof Signature => $this->freezeSignature($canvas, $context),
            $canvas instanceof Chain => $this->freezeChain($canvas, $context),
            $canvas instanceof Group => $this->freezeGroup($canvas, $context),
            $canvas instanceof Chord => $this->freezeChord($canvas, $context),
            $canvas instanceof MapCanvas => $this->freezeSignature($canvas->call(), $context),
            $canvas instanceof Chunks => throw InvalidCanvas::nestedChunks(),
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
        return [$dict, fn (AsyncResult|GroupResult|null $parent): AsyncResult => $this->handles->result($taskId, $parent)];
    }

    /**
     * @param Tail $context
     * @return array{array<string, mixed>, Builder}
     */
    private function freezeChain(Chain $chain, array $context): array
    {
        $steps = CanvasSteps::of($chain);
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
        return [$dict, fn (AsyncResult|GroupResult|null $parent): GroupResult => $this->handles->group(
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
            $header = $this->handles->group(
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
}
