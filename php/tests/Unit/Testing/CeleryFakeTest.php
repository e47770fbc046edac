<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Testing;

use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\CeleryClientInterface;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;
use CeleryBridge\Testing\CeleryFake;
use CeleryBridge\Testing\SentCanvas;
use CeleryBridge\Testing\SentTask;
use PHPUnit\Framework\AssertionFailedError;
use PHPUnit\Framework\TestCase;

final class CeleryFakeTest extends TestCase
{
    public function testTheClientAndTheFakeAreBothTheInterface(): void
    {
        self::assertContains(CeleryClientInterface::class, class_implements(CeleryClient::class));
        self::assertInstanceOf(CeleryClientInterface::class, new CeleryFake());
    }

    public function testRecordsTheNameArgumentsOptionsAndRouting(): void
    {
        $celery = new CeleryFake(['task_routes' => ['reports.*' => ['queue' => 'reports']]]);

        $result = $celery->sendTask('tasks.add', [2, 3], ['z' => 1], ['countdown' => 10, 'priority' => 3]);
        $celery->sendTask('reports.build', ['q3']);

        [$add, $report] = $celery->sent();
        self::assertSame($result->id, $add->id);
        self::assertSame(['tasks.add', [2, 3], ['z' => 1]], [$add->name, $add->args, $add->kwargs]);
        self::assertSame(['countdown' => 10, 'priority' => 3, 'task_id' => $add->id], $add->options);
        self::assertSame(['celery', 3], [$add->queue, $add->priority]);
        self::assertIsString($add->headers['eta']);
        self::assertSame('reports', $report->queue);
        $celery->assertSent('tasks.add', static fn (SentTask $t): bool => $t->args === [2, 3]);
        $celery->assertSentOn('reports', 'reports.build');
        $celery->assertSentCount('tasks.add', 1);
        $celery->assertNotSent('tasks.mul');
        $celery->assertNothingSentOn('math');
    }

    public function testFailedAssertionsAreThoseOfPhpUnitAndSayWhatWasSent(): void
    {
        $celery = new CeleryFake();
        $celery->assertNothingSent();
        $celery->sendTask('tasks.add', [1, 2]);

        $failures = [
            static fn () => $celery->assertSent('tasks.add', static fn (SentTask $t): bool => $t->args === [9]),
            static fn () => $celery->assertSent('tasks.mul'),
            static fn () => $celery->assertNotSent('tasks.add'),
            static fn () => $celery->assertSentCount('tasks.add', 2),
            static fn () => $celery->assertSentOn('math', 'tasks.add'),
            static fn () => $celery->assertNothingSent(),
            static fn () => $celery->assertNothingSentOn('celery'),
            static fn () => $celery->assertRevoked('x'),
            static fn () => $celery->assertCanvasSent(static fn (SentCanvas $c): bool => $c->type() === 'chain'),
        ];
        $messages = [];
        foreach ($failures as $assertion) {
            try {
                $assertion();
                self::fail('The assertion passed.');
            } catch (AssertionFailedError $e) {
                $messages[] = $e->getMessage();
            }
        }
        self::assertStringContainsString('Task "tasks.mul" was not sent. Sent: tasks.add on "celery".', $messages[1]);
        self::assertStringContainsString('sent to queue(s) "celery", not to "math"', $messages[4]);
    }

    public function testWithoutPhpUnitAFailedAssertionIsAnAssertionError(): void
    {
        $script = sprintf(
            'require %s; $f = new CeleryBridge\Testing\CeleryFake(); $f->assertNothingSent(); $f->sendTask("tasks.add");'
            . ' try { $f->assertNothingSent(); } catch (AssertionError $e) { echo get_class($e), ": ", $e->getMessage(); }',
            var_export(dirname(__DIR__, 4) . '/vendor/autoload.php', true),
        );
        $output = shell_exec(escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg($script) . ' 2>&1');

        self::assertSame('AssertionError: Tasks were sent: tasks.add on "celery".', $output);
    }

    public function testResultsReadWhatTheTestSet(): void
    {
        $celery = new CeleryFake();
        $sum = $celery->sendTask('tasks.add', [2, 3]);
        $celery->returns('tasks.add', static fn (SentTask $t): int => array_sum($t->args));
        $celery->fails('tasks.charge', 'PaymentDeclined', 'card expired', 'billing.errors');

        self::assertSame(5, $sum->get(timeout: 1.0));
        self::assertSame('SUCCESS', $celery->result($sum->id)->state());
        $charge = $celery->sendTask('tasks.charge', [10]);
        try {
            $charge->get(timeout: 1.0);
            self::fail('No TaskFailed.');
        } catch (TaskFailed $e) {
            self::assertSame(['PaymentDeclined', 'card expired'], [$e->remoteType(), $e->remoteMessage()]);
            self::assertSame($charge->id, $e->taskId);
        }
        self::assertSame('FAILURE', $charge->state());

        $slow = $celery->sendTask('tasks.slow');
        self::assertSame('PENDING', $slow->state());
        $this->expectException(ResultTimeout::class);
        $slow->get(timeout: 2.5);
    }

    public function testOneTaskCanBeSetByIdAndRevoked(): void
    {
        $celery = new CeleryFake();
        $a = $celery->sendTask('tasks.add', [1, 1]);
        $b = $celery->sendTask('tasks.add', [2, 2]);
        $c = $celery->sendTask('tasks.add', [3, 3]);
        $celery->succeedTask($a->id, 2)->failTask($b->id, 'ValueError', 'no');

        self::assertSame(2, $a->get());
        self::assertInstanceOf(\CeleryBridge\Exception\ExceptionInfo::class, $b->get(propagate: false));
        self::assertSame(1, $celery->revoke($c->id));
        $celery->assertRevoked($c->id);
        $this->expectException(TaskRevoked::class);
        $c->get();
    }

    public function testCanvasesAreRecordedWithTheirShapeAndTheirStepsResults(): void
    {
        $celery = new CeleryFake();
        $celery->returns('tasks.add', 3)->returns('tasks.mul', 30)->returns('tasks.tsum', 7);

        $chain = $celery->send(new Chain(new Signature('tasks.add', [1, 2]), new Signature('tasks.mul', [10])));
        $group = $celery->send(new Group(new Signature('tasks.add', [1, 2]), new Signature('tasks.add', [3, 4])), ['queue' => 'math']);
        $chord = $celery->send(new Chord([new Signature('tasks.add', [1, 2])], new Signature('tasks.tsum')));

        // A chain's later steps travel inside its first message; the worker sends them.
        $names = array_map(static fn (SentTask $t) => $t->name, $celery->sent());
        self::assertSame(['tasks.add', 'tasks.add', 'tasks.add', 'tasks.add'], $names);
        self::assertSame(30, $chain->get());
        self::assertSame([3, 3], $group->get());
        self::assertSame(7, $chord->get());
        $celery->assertSentOn('math', 'tasks.add');
        $celery->assertCanvasSent(
            static fn (SentCanvas $c): bool => $c->type() === 'chain' && $c->taskNames() === ['tasks.add', 'tasks.mul'],
        );
        [$first] = $celery->canvases();
        self::assertSame('tasks.mul', $first->shape()['kwargs']['tasks'][1]['task'] ?? $first->shape()['tasks'][1]['task'] ?? null);
    }

    public function testSendManyRecordsNothingWhenOneCanvasIsInvalid(): void
    {
        $celery = new CeleryFake();
        try {
            $celery->sendMany([new Signature('tasks.add', [1]), new Signature('tasks.add', [2], options: ['countdown' => 1e300])]);
            self::fail('No exception.');
        } catch (\CeleryBridge\Exception\CeleryBridgeException) {
        }
        $celery->assertNothingSent();

        $results = $celery->sendMany([new Signature('tasks.add', [1]), new Signature('tasks.add', [2])], ['queue' => 'bulk']);
        self::assertCount(2, $results);
        $celery->assertSentCount('tasks.add', 2);
        $celery->assertNothingSentOn('celery');
    }

    public function testBadArgumentsThrowBeforeAnythingIsRecorded(): void
    {
        $celery = new CeleryFake();
        try {
            $celery->sendTask('tasks.add', [NAN]);
            self::fail('No exception.');
        } catch (InvalidTaskArgument) {
        }
        $celery->assertNothingSent();
    }

    public function testSavedGroupsAreRestoredAndResetForgetsEverything(): void
    {
        $celery = new CeleryFake();
        $group = $celery->send(new Group(new Signature('tasks.add', [1, 2]), new Signature('tasks.add', [3, 4])));
        self::assertInstanceOf(\CeleryBridge\Result\GroupResult::class, $group);
        $group->save();

        self::assertSame($group->ids(), $celery->restoreGroup($group->id)?->ids());
        self::assertNull($celery->restoreGroup('unknown'));
        self::assertSame(['PENDING', 'PENDING'], $celery->results($group->ids())->states());
        $celery->reset();
        $celery->assertNothingSent();
    }
}
