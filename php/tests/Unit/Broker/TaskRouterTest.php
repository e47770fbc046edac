<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Broker;

use CeleryBridge\Broker\TaskRouter;
use CeleryBridge\Exception\InvalidConfiguration;
use PHPUnit\Framework\TestCase;

final class TaskRouterTest extends TestCase
{
    public function testExactNamesWinOverPatternsAndPatternsMatchInOrder(): void
    {
        $router = TaskRouter::fromConfig([
            'feeds.*' => 'feeds',
            'feeds.import' => ['queue' => 'imports', 'priority' => 9],
            'feeds.imp*' => 'never',
            'video.?encode' => 'literal-question-mark',
        ]);

        self::assertSame(['queue' => 'imports', 'priority' => 9], $router->route('feeds.import'));
        self::assertSame(['queue' => 'feeds'], $router->route('feeds.importer'));
        self::assertSame([], $router->route('other.task'));
        // Like Celery, a key without "*" is an exact name even if it has "?".
        self::assertSame([], $router->route('video.xencode'));
        self::assertSame(['queue' => 'literal-question-mark'], $router->route('video.?encode'));
    }

    public function testGlobsFollowFnmatchOverTheWholeName(): void
    {
        $router = TaskRouter::fromConfig(['*.add' => 'math', 'report[0-9].*' => 'reports', 'x[!ab]*' => 'x']);

        self::assertSame(['queue' => 'math'], $router->route('tasks.add'));
        self::assertSame([], $router->route('tasks.add.more'));
        self::assertSame(['queue' => 'reports'], $router->route('report7.build'));
        self::assertSame([], $router->route('reportX.build'));
        self::assertSame(['queue' => 'x'], $router->route('xc'));
        self::assertSame([], $router->route('xa'));
    }

    public function testAListOfRoutersIsAskedInTurn(): void
    {
        $router = TaskRouter::fromConfig([['a.*' => 'first'], ['a.b' => 'second', 'c.*' => 'third']]);

        self::assertSame(['queue' => 'first'], $router->route('a.b'));
        self::assertSame(['queue' => 'third'], $router->route('c.d'));
    }

    public function testPythonRouterPathsAreRefusedWithAReason(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessageMatches('/Python router functions and class paths cannot run in PHP/');
        TaskRouter::fromConfig(['myapp.routers.route_task']);
    }

    public function testUnknownRouteKeysAreRefused(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessageMatches('/route key "delivery_mode" is not supported/');
        TaskRouter::fromConfig(['a' => ['queue' => 'q', 'delivery_mode' => 1]]);
    }
}
