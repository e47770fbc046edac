<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Canvas;

use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\InvalidOption;
use PHPUnit\Framework\TestCase;

/**
 * The canvas values: immutable copies, and the meaning Celery gives options on each form.
 */
final class CanvasFormsTest extends TestCase
{
    private static function sig(string $task, mixed ...$args): Signature
    {
        return new Signature($task, array_values($args));
    }

    /**
     * @return list<string>
     */
    private static function names(Signature ...$signatures): array
    {
        return array_map(static fn (Signature $s) => $s->task, $signatures);
    }

    public function testSignatureWithLinkAddsToTheCallbacksWhileTheOptionReplacesThem(): void
    {
        $log = self::sig('tasks.log');
        $audit = self::sig('tasks.audit');
        $sig = self::sig('tasks.add', 1, 2)->withOptions(['link' => $log]);

        $added = $sig->withLink($audit);
        $replaced = $sig->withOptions(['link' => [$audit]]);

        self::assertSame(['tasks.log'], self::names(...$sig->options->link));
        self::assertSame(['tasks.log', 'tasks.audit'], self::names(...$added->options->link));
        self::assertSame(['tasks.audit'], self::names(...$replaced->options->link));
        self::assertSame(['tasks.on_error'], self::names(...$sig->withLinkError(self::sig('tasks.on_error'))->options->linkError));
        self::assertSame($sig, $sig->withLink());
    }

    public function testSignatureToCeleryIsTheSixKeyDict(): void
    {
        $dict = self::sig('tasks.add', 2)->asImmutable()->withOptions(['countdown' => 5])->toCelery();

        self::assertSame(
            '{"task":"tasks.add","args":[2],"kwargs":{},"options":{"countdown":5},"subtask_type":null,"immutable":true}',
            json_encode($dict),
        );
    }

    public function testAnEmptyChainIsRefusedAnEmptyGroupOrHeaderIsNot(): void
    {
        self::assertSame([], (new Group())->tasks);
        self::assertSame([], (new Chord([], self::sig('tasks.xsum')))->header->tasks);
        $this->expectExceptionMessage('at least one task');
        new Chain();
    }

    public function testAnEmptyGroupCannotTakeACallback(): void
    {
        $this->expectException(InvalidCanvas::class);
        $this->expectExceptionMessage('empty Group cannot take a callback');
        (new Group())->withLink(self::sig('tasks.log'));
    }

    public function testAnyCanvasIsACallbackAndTravelsAsItsSignatureDict(): void
    {
        $chain = new Chain(self::sig('tasks.add', 10), self::sig('tasks.mul', 2));
        $group = new Group(self::sig('tasks.log', 'a'), self::sig('tasks.log', 'b'));
        $chord = new Chord([self::sig('tasks.add', 1)], self::sig('tasks.xsum'));
        $linked = self::sig('tasks.add', 1, 2)->withLink($chain, $group)->withLinkError($chord);

        self::assertSame([$chain, $group], $linked->options->link);
        $options = $linked->toCelery()['options'];
        self::assertSame(
            ['celery.chain', 'chain', false, 'celery.group', 'group', 'celery.chord', 'chord'],
            [
                $options->link[0]['task'], $options->link[0]['subtask_type'], $options->link[0]['immutable'],
                $options->link[1]['task'], $options->link[1]['subtask_type'],
                $options->link_error[0]['task'], $options->link_error[0]['subtask_type'],
            ],
        );
    }

    public function testImmutableCanvasesAsCelerySetsThem(): void
    {
        $chain = (new Chain(self::sig('tasks.add', 10), self::sig('tasks.mul', 2)))->asImmutable();
        $group = (new Group(self::sig('tasks.log', 'a'), self::sig('tasks.log', 'b')))->asImmutable();
        $chord = (new Chord([self::sig('tasks.add', 1)], self::sig('tasks.xsum')))->asImmutable();

        // A chain carries the flag itself, and keeps it through later copies; it ignores partials.
        self::assertTrue($chain->then(self::sig('tasks.log'))->withOptions(['queue' => 'q'])->toCelery()['immutable']);
        self::assertSame($chain, $chain->withPartial([1]));
        // A group passes it to its tasks (group.set_immutable), a chord to its header tasks.
        self::assertSame([false, true, true], [
            $group->toCelery()['immutable'],
            ...array_map(static fn (Signature $s) => $s->immutable, $group->tasks),
        ]);
        self::assertSame([true, false], [$chord->header->tasks[0]->immutable, $chord->body->toCelery()['immutable']]);
        // Group::withLink() makes any callback immutable.
        $linked = $group->withLink(new Chain(self::sig('tasks.log'), self::sig('tasks.log')));
        self::assertTrue($linked->tasks[0]->options->link[0]->toCelery()['immutable']);
    }

    public function testChainOptionsGoWhereCeleryPutsThem(): void
    {
        $log = self::sig('tasks.log');
        $onError = self::sig('tasks.on_error');
        $chain = (new Chain(self::sig('tasks.a'), self::sig('tasks.b'), self::sig('tasks.c')))->withOptions([
            'task_id' => 'last-id',
            'link' => $log,
            'link_error' => $onError,
            'queue' => 'math',
            'countdown' => 10,
        ]);

        [$a, $b, $c] = $chain->tasks;
        self::assertInstanceOf(Signature::class, $a);
        self::assertInstanceOf(Signature::class, $b);
        self::assertInstanceOf(Signature::class, $c);
        // task_id and link: the last step; link_error: every step; the rest: the first step.
        self::assertSame([null, null, 'last-id'], [$a->options->taskId, $b->options->taskId, $c->options->taskId]);
        self::assertSame(
            [[], [], ['tasks.log']],
            [self::names(...$a->options->link), self::names(...$b->options->link), self::names(...$c->options->link)],
        );
        foreach ([$a, $b, $c] as $step) {
            self::assertSame(['tasks.on_error'], self::names(...$step->options->linkError));
        }
        self::assertSame(['math', 10], [$a->options->queue, $a->options->countdown]);
        self::assertSame([null, null], [$b->options->queue, $c->options->countdown]);
    }

    public function testChainFromListAndThen(): void
    {
        $chain = Chain::fromList([self::sig('tasks.a')], ['queue' => 'q'])->then(self::sig('tasks.b'));

        self::assertCount(2, $chain->tasks);
        self::assertInstanceOf(Signature::class, $chain->tasks[0]);
        self::assertSame('q', $chain->tasks[0]->options->queue);
    }

    public function testGroupTaskIdIsTheGroupIdAndOtherOptionsGoToEveryTask(): void
    {
        $group = (new Group(self::sig('tasks.a'), self::sig('tasks.b')))->withOptions(['task_id' => 'gid', 'priority' => 3]);

        self::assertSame('gid', $group->id);
        foreach ($group->tasks as $task) {
            self::assertInstanceOf(Signature::class, $task);
            self::assertSame([3, null], [$task->options->priority, $task->options->taskId]);
        }
        self::assertSame('gid', $group->withOptions(['queue' => 'q'])->id);
        self::assertNull(Group::fromList([self::sig('tasks.a')])->id);
    }

    public function testGroupRefusesCallbackAndMembershipOptions(): void
    {
        $group = new Group(self::sig('tasks.a'));
        foreach (['link', 'link_error', 'group_id', 'group_index'] as $option) {
            try {
                $group->withOptions([$option => $option === 'group_index' ? 1 : ($option === 'group_id' ? 'g' : self::sig('tasks.cb'))]);
                self::fail("$option was accepted on a group");
            } catch (InvalidCanvas $e) {
                self::assertStringContainsString($option === 'link' ? 'Chord' : '"', $e->getMessage());
            }
        }
    }

    public function testKwargsShapedLikeAKombuMarkerAreRefused(): void
    {
        // Even a marker kombu can decode: the task would get a Decimal for its kwargs.
        $this->expectException(\CeleryBridge\Exception\InvalidTaskArgument::class);
        $this->expectExceptionMessage('__type__ and __value__');
        new Signature('tasks.add', [], ['__type__' => 'decimal', '__value__' => '1.5']);
    }

    public function testGroupLinkGoesToTheFirstTaskMadeImmutable(): void
    {
        // Celery's group.link(): only the first task, with an immutable clone (it runs once).
        $group = (new Group(self::sig('tasks.a'), self::sig('tasks.b')))->withLink(self::sig('tasks.cb'));

        [$first, $second] = $group->tasks;
        self::assertInstanceOf(Signature::class, $first);
        self::assertInstanceOf(Signature::class, $second);
        self::assertCount(1, $first->options->link);
        self::assertSame('tasks.cb', $first->options->link[0]->task);
        self::assertTrue($first->options->link[0]->immutable);
        self::assertSame([], $second->options->link);
    }

    public function testGroupLinkErrorGoesToEveryTaskAndNestedGroupsFlatten(): void
    {
        $group = (new Group(self::sig('tasks.a'), new Group(self::sig('tasks.b'), self::sig('tasks.c'))))
            ->withLinkError(self::sig('tasks.on_error'));

        $flat = $group->flattened();
        self::assertSame(['tasks.a', 'tasks.b', 'tasks.c'], array_map(static fn ($s) => $s instanceof Signature ? $s->task : '?', $flat));
        foreach ($flat as $task) {
            self::assertInstanceOf(Signature::class, $task);
            self::assertSame(['tasks.on_error'], self::names(...$task->options->linkError));
        }
    }

    public function testChordOptionsGoWhereCeleryPutsThem(): void
    {
        $chord = new Chord([self::sig('tasks.a'), self::sig('tasks.b')], self::sig('tasks.xsum'), [
            'task_id' => 'body-id',
            'link' => self::sig('tasks.log'),
            'link_error' => self::sig('tasks.on_error'),
            'countdown' => 30,
            'queue' => 'math',
            'parent_id' => 'p',
        ]);

        $body = $chord->body;
        self::assertInstanceOf(Signature::class, $body);
        $options = $body->options;
        self::assertSame(['body-id', 'math', null, null], [$options->taskId, $options->queue, $options->countdown, $options->parentId]);
        self::assertSame(['tasks.log'], self::names(...$body->options->link));
        self::assertSame(['tasks.on_error'], self::names(...$body->options->linkError));
        foreach ($chord->header->tasks as $task) {
            self::assertInstanceOf(Signature::class, $task);
            $options = $task->options;
            self::assertSame(
                [null, 30, 'math', 'p', []],
                [$options->taskId, $options->countdown, $options->queue, $options->parentId, $options->linkError],
            );
        }
    }

    public function testChordLinksGoToTheBody(): void
    {
        $chord = (new Chord(new Group(self::sig('tasks.a')), new Chain(self::sig('tasks.xsum'), self::sig('tasks.mul', 2))))
            ->withLink(self::sig('tasks.log'));

        self::assertInstanceOf(Chain::class, $chord->body);
        $last = $chord->body->tasks[1];
        self::assertInstanceOf(Signature::class, $last);
        self::assertSame(['tasks.log'], self::names(...$last->options->link));
    }

    public function testUnknownOptionsAreRefusedOnEveryForm(): void
    {
        foreach ([new Chain(self::sig('a')), new Group(self::sig('a')), new Chord([self::sig('a')], self::sig('b'))] as $canvas) {
            try {
                $canvas->withOptions(['retrie' => true]);
                self::fail('an unknown option was accepted on ' . $canvas::class);
            } catch (InvalidOption $e) {
                self::assertStringContainsString('Unknown task option "retrie"', $e->getMessage());
            }
        }
    }

    public function testPseudoTaskDicts(): void
    {
        $a = self::sig('tasks.a');
        $chain = (new Chain($a))->toCelery();
        $group = (new Group($a))->withOptions(['task_id' => 'g'])->toCelery();
        $chord = (new Chord([$a], $a))->toCelery();

        self::assertSame(['celery.chain', 'chain'], [$chain['task'], $chain['subtask_type']]);
        self::assertSame(['celery.group', 'group', 'g'], [$group['task'], $group['subtask_type'], $group['options']->task_id]);
        self::assertSame(['celery.chord', 'chord'], [$chord['task'], $chord['subtask_type']]);
        self::assertSame('{"kwargs":{},"header":', substr((string) json_encode($chord['kwargs']), 0, 22));
    }
}
