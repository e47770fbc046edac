<?php

declare(strict_types=1);

namespace CeleryBridge\LaravelApp\Tests;

use CeleryBridge\Laravel\Celery;
use CeleryBridge\Testing\SentTask;
use Illuminate\Contracts\Console\Kernel;
use Illuminate\Foundation\Application;
use Illuminate\Foundation\Testing\TestCase;

/**
 * The application's own test, as a Laravel user writes one: Celery::fake() in place of the
 * client, the routes called through Laravel's test client, and the fake's assertions.
 */
final class CeleryFakeTest extends TestCase
{
    public function createApplication(): Application
    {
        $app = require dirname(__DIR__) . '/bootstrap/app.php';
        $app->make(Kernel::class)->bootstrap();
        return $app;
    }

    public function testTheFacadeAndTheContainerSendToTheFake(): void
    {
        $celery = Celery::fake();
        $celery->returns('tasks.add', static fn (SentTask $task): int => array_sum($task->args));
        $celery->fails('tasks.fail', 'RuntimeError', 'from the fake');

        $this->get('/add?x=2&y=3')->assertOk()->assertJson(['value' => 5]);
        $this->get('/fail')->assertOk()->assertJson(['failed' => true, 'type' => 'RuntimeError', 'message' => 'from the fake']);

        Celery::assertSent('tasks.add', static fn (SentTask $task): bool => $task->args === [2, 3]);
        Celery::assertSentOn('celery', 'tasks.fail');
        Celery::assertSentCount('tasks.add', 1);
        Celery::assertNotSent('tasks.mul');
    }

    public function testAFakeThatSawNothingSaysSo(): void
    {
        Celery::fake();

        $this->get('/nothing')->assertOk()->assertJson(['client' => \CeleryBridge\Testing\CeleryFake::class]);

        Celery::assertNothingSent();
    }
}
