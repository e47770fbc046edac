<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Canvas;

use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\CanvasPlanner;
use CeleryBridge\Canvas\CanvasSteps;
use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Plan;
use CeleryBridge\Canvas\PlannedTask;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultHandles;
use PHPUnit\Framework\TestCase;

/**
 * The messages a canvas turns into, checked against what Celery's canvas publishes
 * (tests/test_canvas_wire.py compares the same forms with Python's own output).
 */
final class CanvasPlannerTest extends TestCase
{
    private int $ids = 0;

    private function planner(): CanvasPlanner
    {
        $this->ids = 0;
        return new CanvasPlanner(
            'oid',
            fn (): string => 'gen' . ++$this->ids,
            new ResultHandles(null),
        );
    }

    private function plan(Canvas $canvas): Plan
    {
        return $this->planner()->plan($canvas);
    }

    private static function sig(string $task, ?string $id = null, mixed ...$args): Signature
    {
        return new Signature($task, array_values($args), [], $id === null ? [] : ['task_id' => $id]);
    }

    /**
     * @return array<string, mixed> a task's id, options and embed as plain JSON data
     */
    private static function summary(PlannedTask $task): array
    {
        return json_decode((string) json_encode([
            'task' => $task->signature->task,
            'id' => $task->taskId,
            'options' => $task->signature->options->toArray(),
            'chain' => $task->chain,
            'chord' => $task->chord,
        ]), true);
    }

    /**
     * @return list<string> the ids from a result up through its parents, as class:id
     */
    private static function lineage(AsyncResult|GroupResult|null $result): array
    {
        $ids = [];
        for (; $result !== null; $result = $result->parent) {
            $ids[] = ($result instanceof GroupResult ? 'group:' : 'task:') . $result->id;
        }
        return $ids;
    }

    public function testASignatureIsOneMessageWithItsOwnOrAFreshId(): void
    {
        $plan = $this->plan(self::sig('tasks.add', 'fixed', 1, 2));
        $fresh = $this->plan(self::sig('tasks.add'));

        self::assertSame(['fixed'], array_map(static fn (PlannedTask $t) => $t->taskId, $plan->tasks));
        self::assertSame(['chain' => null, 'chord' => null], $plan->tasks[0]->embed());
        self::assertSame(['task:fixed'], self::lineage($plan->result));
        self::assertSame('gen1', $fresh->tasks[0]->taskId);
        self::assertSame([], $plan->chordSizes);
    }

    public function testAChainPublishesItsFirstStepWithTheOthersReversedInItsEmbed(): void
    {
        $plan = $this->plan(new Chain(self::sig('tasks.a', 'a'), self::sig('tasks.b', 'b', 2), self::sig('tasks.c', 'c')));

        self::assertCount(1, $plan->tasks);
        $first = self::summary($plan->tasks[0]);
        self::assertSame(['tasks.a', 'a', null], [$first['task'], $first['id'], $first['chord']]);
        // The worker pops the next step from the end.
        self::assertSame(
            [
                self::dict('tasks.c', [], ['task_id' => 'c', 'reply_to' => 'oid']),
                self::dict('tasks.b', [2], ['task_id' => 'b', 'reply_to' => 'oid']),
            ],
            $first['chain'],
        );
        self::assertSame('{}', json_encode($plan->tasks[0]->chain[0]['kwargs'] ?? null));
        self::assertSame(['task:c', 'task:b', 'task:a'], self::lineage($plan->result));
    }

    public function testEveryChainStepGetsAnIdUpFront(): void
    {
        $plan = $this->plan(new Chain(self::sig('tasks.a'), self::sig('tasks.b'), self::sig('tasks.c')));

        $later = array_map(static fn (array $d) => $d['options']->task_id, array_reverse($plan->tasks[0]->chain ?? []));
        $ids = [$plan->tasks[0]->taskId, ...$later];
        self::assertSame(array_reverse(array_map(static fn (string $l) => substr($l, 5), self::lineage($plan->result))), $ids);
        self::assertCount(3, array_unique($ids));
    }

    public function testAGroupPublishesEveryTaskWithTheGroupIdAndItsPosition(): void
    {
        $plan = $this->plan((new Group(self::sig('tasks.a', 'a'), new Group(self::sig('tasks.b', 'b'), self::sig('tasks.c', 'c'))))
            ->withOptions(['task_id' => 'g', 'queue' => 'q']));

        self::assertSame(
            [['a', 'g', 0, 'q'], ['b', 'g', 1, 'q'], ['c', 'g', 2, 'q']],
            array_map(
                static fn (PlannedTask $t) => [
                    $t->taskId,
                    $t->signature->options->groupId,
                    $t->signature->options->groupIndex,
                    $t->signature->options->queue,
                ],
                $plan->tasks,
            ),
        );
        self::assertInstanceOf(GroupResult::class, $plan->result);
        self::assertSame(['a', 'b', 'c'], $plan->result->ids());
        self::assertSame('g', $plan->result->id);
    }

    public function testAChordStoresItsSizeAndEveryHeaderTaskCarriesTheBody(): void
    {
        $plan = $this->plan(new Chord(self::group('g', 'a', 'b'), self::sig('tasks.xsum', 'x')));

        self::assertSame(['g' => 2], $plan->chordSizes);
        $body = self::dict('tasks.xsum', [], ['task_id' => 'x', 'reply_to' => 'oid', 'group_id' => 'g']) + ['chord_size' => 2];
        foreach ($plan->tasks as $index => $task) {
            $summary = self::summary($task);
            self::assertSame([$body, null], [$summary['chord'], $summary['chain']]);
            self::assertSame(['g', $index], [$task->signature->options->groupId, $task->signature->options->groupIndex]);
        }
        self::assertSame(['task:x', 'group:g'], self::lineage($plan->result));
    }

    public function testAGroupFollowedByAStepInAChainBecomesAChord(): void
    {
        $plan = $this->plan(new Chain(
            self::sig('tasks.add', 'a', 1, 1),
            (new Group(self::sig('tasks.add', 'b', 1), self::sig('tasks.mul', 'c', 2)))->withOptions(['task_id' => 'g']),
            self::sig('tasks.xsum', 'd'),
            self::sig('tasks.mul', 'e', 10),
        ));

        $chain = self::summary($plan->tasks[0])['chain'];
        self::assertSame(['tasks.mul', 'celery.chord'], array_column($chain, 'task'));
        $chord = $chain[1];
        self::assertSame(['task_id' => 'g'], $chord['options']);
        self::assertSame([], $chord['kwargs']['kwargs']);
        self::assertSame(['task_id' => 'g', 'root_id' => null, 'parent_id' => null], $chord['kwargs']['header']['options']);
        self::assertSame(
            [['task_id' => 'b', 'reply_to' => 'oid', 'group_index' => 0], ['task_id' => 'c', 'reply_to' => 'oid', 'group_index' => 1]],
            array_column($chord['kwargs']['header']['kwargs']['tasks'], 'options'),
        );
        self::assertSame(['task_id' => 'd', 'reply_to' => 'oid'], $chord['kwargs']['body']['options']);
        // The worker applies this chord itself (and stores its size then).
        self::assertSame([], $plan->chordSizes);
        self::assertSame(['task:e', 'task:d', 'group:g', 'task:a'], self::lineage($plan->result));
    }

    public function testAChainLedByAGroupIsAChordTheClientArms(): void
    {
        $plan = $this->plan(new Chain(self::group('g', 'a', 'b'), self::sig('tasks.xsum', 'x')));

        self::assertSame(['g' => 2], $plan->chordSizes);
        self::assertSame(['x', 'x'], array_map(static fn (PlannedTask $t) => $t->chord['options']->task_id ?? null, $plan->tasks));
    }

    public function testAGroupEndingAChainTravelsAsAGroupDict(): void
    {
        $group = (new Group(self::sig('tasks.mul', 'b', 2), self::sig('tasks.mul', 'c', 3)))->withOptions(['task_id' => 'g']);
        $plan = $this->plan(new Chain(self::sig('tasks.add', 'a', 2, 2), $group));

        $group = self::summary($plan->tasks[0])['chain'][0];
        self::assertSame(['celery.group', 'group'], [$group['task'], $group['subtask_type']]);
        self::assertSame(['task_id' => 'g', 'root_id' => null, 'parent_id' => null], $group['options']);
        self::assertSame([0, 1], array_column(array_column($group['kwargs']['tasks'], 'options'), 'group_index'));
        self::assertInstanceOf(GroupResult::class, $plan->result);
        self::assertSame(['group:g', 'task:a'], self::lineage($plan->result));
        self::assertSame(['b', 'c'], $plan->result->ids());
    }

    public function testAChainInAGroupPutsTheMembershipOnItsLastStep(): void
    {
        $chain = new Chain(self::sig('tasks.add', 'a', 2, 2), self::sig('tasks.mul', 'b', 4));
        $plan = $this->plan((new Group($chain, self::sig('tasks.add', 'c', 1, 1)))->withOptions(['task_id' => 'g']));

        [$chainStart, $other] = array_map(self::summary(...), $plan->tasks);
        self::assertArrayNotHasKey('group_id', $chainStart['options']);
        self::assertSame(
            ['task_id' => 'b', 'reply_to' => 'oid', 'group_id' => 'g', 'group_index' => 0],
            $chainStart['chain'][0]['options'],
        );
        self::assertSame(['g', 1], [$other['options']['group_id'], $other['options']['group_index']]);
        self::assertInstanceOf(GroupResult::class, $plan->result);
        self::assertSame(['task:b', 'task:a'], self::lineage($plan->result->results[0]));
    }

    public function testAChordInAGroupCountsItsBodyAsTheGroupMember(): void
    {
        $inner = new Chord(self::group('h', 'a', 'b'), self::sig('tasks.xsum', 'x'));
        $plan = $this->plan((new Group($inner, self::sig('tasks.c', 'c')))->withOptions(['task_id' => 'g']));

        self::assertSame(['h' => 2], $plan->chordSizes);
        $body = $plan->tasks[0]->chord;
        self::assertNotNull($body);
        self::assertSame(
            ['task_id' => 'x', 'reply_to' => 'oid', 'group_id' => 'g', 'group_index' => 0, 'add_to_parent' => false],
            (array) $body['options'],
        );
        self::assertSame(['h', 'h', 'g'], array_map(static fn (PlannedTask $t) => $t->signature->options->groupId, $plan->tasks));
    }

    public function testAChordInAChordHeaderReportsToTheOuterChord(): void
    {
        $inner = new Chord(self::group('h', 'a', 'b'), self::sig('tasks.xsum', 'x'));
        $header = (new Group($inner, self::sig('tasks.c', 'c')))->withOptions(['task_id' => 'g']);
        $plan = $this->plan(new Chord($header, self::sig('tasks.xsum', 'y')));

        // The inner chord counts once (its body) toward the outer one.
        self::assertSame(['g' => 2, 'h' => 2], $plan->chordSizes);
        $innerBody = $plan->tasks[0]->chord;
        self::assertNotNull($innerBody);
        self::assertSame('g', $innerBody['options']->group_id);
        self::assertSame('y', $innerBody['options']->chord['options']->task_id);
        self::assertSame('y', $plan->tasks[2]->chord['options']->task_id ?? null);
    }

    public function testAChainInAChordHeaderCarriesTheChordOnItsLastStep(): void
    {
        $chain = new Chain(self::sig('tasks.a', 'a'), self::sig('tasks.b', 'b'));
        $header = (new Group($chain, self::sig('tasks.c', 'c')))->withOptions(['task_id' => 'g']);
        $plan = $this->plan(new Chord($header, self::sig('tasks.xsum', 'x')));

        self::assertSame(['g' => 2], $plan->chordSizes);
        self::assertNull($plan->tasks[0]->chord);
        $last = $plan->tasks[0]->chain[0]['options'] ?? null;
        self::assertNotNull($last);
        self::assertSame(['b', 'g', 0, 'x'], [$last->task_id, $last->group_id, $last->group_index, $last->chord['options']->task_id]);
    }

    public function testAChordWithAChainBodyInAChainIsUnrolled(): void
    {
        $body = new Chain(self::sig('tasks.xsum', 'x'), self::sig('tasks.mul', 'm', 10));
        $plan = $this->plan(new Chain(self::sig('tasks.a', 'a'), new Chord(self::group('g', 'b', 'c'), $body)));

        $chain = $plan->tasks[0]->chain ?? [];
        // chord(header, chain(x, m)) runs as chord(header, x) | m: each header task carries x only.
        self::assertSame(['tasks.mul', 'celery.chord'], array_column($chain, 'task'));
        self::assertSame('tasks.xsum', $chain[1]['kwargs']['body']['task']);
        self::assertSame(['task:m', 'task:x', 'group:g', 'task:a'], self::lineage($plan->result));
    }

    public function testAChordWithAChainBodyTravelsWholeAtTheTop(): void
    {
        $body = new Chain(self::sig('tasks.xsum', 'x'), self::sig('tasks.mul', 'm', 10));
        $plan = $this->plan(new Chord(self::group('g', 'a', 'b'), $body));

        $body = $plan->tasks[0]->chord;
        self::assertNotNull($body);
        self::assertSame(['celery.chain', 'm', 2], [$body['task'], $body['options']->task_id, $body['chord_size']]);
        self::assertSame('g', $body['kwargs']['tasks'][1]['options']->group_id);
        self::assertSame(['task:m', 'task:x', 'group:g'], self::lineage($plan->result));
    }

    public function testChordSizeCountsAsCeleryDoes(): void
    {
        self::assertSame(1, CanvasSteps::chordSize(self::sig('tasks.a')));
        self::assertSame(3, CanvasSteps::chordSize(new Group(self::sig('a'), new Group(self::sig('b'), self::sig('c')))));
        self::assertSame(2, CanvasSteps::chordSize(new Chain(self::sig('a'), new Group(self::sig('b'), self::sig('c')))));
        self::assertSame(1, CanvasSteps::chordSize(new Chord([self::sig('a'), self::sig('b')], self::sig('x'))));
        $chain = new Chain(self::sig('a'), self::sig('b'));
        $mixed = new Group($chain, new Chord([self::sig('c')], self::sig('x')), self::sig('d'), self::sig('e'));
        self::assertSame(4, CanvasSteps::chordSize($mixed));
    }

    public function testChainStepsAreNormalizedLikeCeleryDoes(): void
    {
        $steps = CanvasSteps::of(new Chain(
            new Chain(self::sig('a'), self::sig('b')),
            new Group(self::sig('c')),
            new Chord([self::sig('d')], new Group(self::sig('e'))),
            self::sig('f'),
        ));

        self::assertSame([Signature::class, Signature::class, Chord::class], array_map(static fn (Canvas $c) => $c::class, $steps));
        // group(c) took the chord after it as its body, and that chord's group body took "f":
        // chord([c], chord([d], chord([e], f))).
        $outer = $steps[2];
        self::assertInstanceOf(Chord::class, $outer);
        self::assertInstanceOf(Chord::class, $outer->body);
        self::assertInstanceOf(Chord::class, $outer->body->body);
        self::assertInstanceOf(Signature::class, $outer->body->body->body);
        self::assertSame('f', $outer->body->body->body->task);
    }

    public function testAnEmptyGroupPublishesNothingAndIsSkippedInAChain(): void
    {
        $alone = $this->plan((new Group())->withOptions(['task_id' => 'g']));
        $inChain = $this->plan(new Chain(new Group(), self::sig('tasks.a', 'a'), new Group(), self::sig('tasks.b', 'b'), new Group()));
        $onlyEmpty = $this->plan(new Chain(new Group(), new Group(new Group())));

        self::assertSame([], $alone->tasks);
        self::assertInstanceOf(GroupResult::class, $alone->result);
        self::assertSame(['g', []], [$alone->result->id, $alone->result->results]);
        self::assertSame(['a'], array_map(static fn (PlannedTask $t) => $t->taskId, $inChain->tasks));
        self::assertSame(['task:b', 'task:a'], self::lineage($inChain->result));
        self::assertSame([[], []], [$onlyEmpty->tasks, $onlyEmpty->result instanceof GroupResult ? $onlyEmpty->result->results : null]);
    }

    public function testAChordWithAnEmptyHeaderPublishesItsBodyWithAnEmptyList(): void
    {
        $plan = $this->plan(new Chord((new Group())->withOptions(['task_id' => 'g']), self::sig('tasks.add', 'x', 7)));

        // Celery's chord.run: body.delay([]), the body frozen with the chord's group id.
        self::assertSame([], $plan->chordSizes);
        self::assertCount(1, $plan->tasks);
        self::assertSame([[], 7], $plan->tasks[0]->signature->args);
        self::assertSame(['x', 'g'], [$plan->tasks[0]->taskId, $plan->tasks[0]->signature->options->groupId]);
        self::assertSame(['task:x', 'group:g'], self::lineage($plan->result));
    }

    public function testAnUnknownCanvasClassIsRefused(): void
    {
        $foreign = new class () implements Canvas {
            public function withOptions(array|TaskOptions $options): self
            {
                return $this;
            }

            public function withLink(Canvas ...$callbacks): self
            {
                return $this;
            }

            public function withLinkError(Canvas ...$errbacks): self
            {
                return $this;
            }

            public function asImmutable(): self
            {
                return $this;
            }

            public function withPartial(array $args, array $kwargs = []): self
            {
                return $this;
            }

            public function toCelery(): array
            {
                return [];
            }
        };

        $this->expectException(InvalidCanvas::class);
        $this->plan(new Chain(self::sig('a'), $foreign));
    }

    /**
     * @param list<mixed> $args
     * @param array<string, mixed> $options
     * @return array<string, mixed>
     */
    private static function dict(string $task, array $args, array $options): array
    {
        return ['task' => $task, 'args' => $args, 'kwargs' => [], 'options' => $options, 'subtask_type' => null, 'immutable' => false];
    }

    private static function group(string $id, string ...$taskIds): Group
    {
        return (new Group(...array_map(static fn (string $t) => self::sig('tasks.' . $t, $t), $taskIds)))->withOptions(['task_id' => $id]);
    }
}
