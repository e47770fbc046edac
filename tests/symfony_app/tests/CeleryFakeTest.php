<?php

declare(strict_types=1);

namespace CeleryBridge\SymfonyApp\Tests;

use CeleryBridge\CeleryClientInterface;
use CeleryBridge\SymfonyApp\Kernel;
use CeleryBridge\SymfonyApp\TaskController;
use CeleryBridge\Testing\CeleryFake;
use CeleryBridge\Testing\SentTask;
use Symfony\Bundle\FrameworkBundle\Test\KernelTestCase;
use Symfony\Component\HttpFoundation\Request;

/**
 * The application's own test, as a Symfony user writes one: in the test environment
 * (`when@test: celery_bridge: fake: true`) the autowired client is the fake.
 */
final class CeleryFakeTest extends KernelTestCase
{
    protected static function getKernelClass(): string
    {
        return Kernel::class;
    }

    public function testTheAutowiredClientIsTheFake(): void
    {
        self::bootKernel(['environment' => 'test']);
        $celery = static::getContainer()->get(CeleryClientInterface::class);
        self::assertInstanceOf(CeleryFake::class, $celery);
        $celery->returns('tasks.add', static fn (SentTask $task): int => array_sum($task->args));

        $controller = static::getContainer()->get(TaskController::class);
        $response = $controller->add(Request::create('/add?x=2&y=3'));

        self::assertSame(5, json_decode((string) $response->getContent(), true)['value']);
        $celery->assertSent('tasks.add', static fn (SentTask $task): bool => $task->args === [2, 3]);
        $celery->assertSentCount('tasks.add', 1);
    }
}
