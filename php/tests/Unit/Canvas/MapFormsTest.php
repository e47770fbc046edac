<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Canvas;

use CeleryBridge\Canvas\Chunks;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Canvas\XMap;
use CeleryBridge\Canvas\XStarMap;
use CeleryBridge\Exception\InvalidTaskArgument;
use PHPUnit\Framework\TestCase;

/**
 * XMap, XStarMap and Chunks as celery/canvas.py builds them: the built-in task, kwargs
 * {task, it[, n]}, immutable, subtask_type null.
 */
final class MapFormsTest extends TestCase
{
    public function testXMapIsACeleryMapCallWithTheSignatureAndTheItems(): void
    {
        $map = new XMap(new Signature('tasks.xsum'), [[1, 2]], ['queue' => 'q']);
        $dict = json_decode((string) json_encode($map->toCelery()), true);

        self::assertSame('celery.map', $dict['task']);
        self::assertSame([], $dict['args']);
        self::assertSame('tasks.xsum', $dict['kwargs']['task']['task']);
        self::assertSame([[1, 2]], $dict['kwargs']['it']);
        self::assertSame(['queue' => 'q'], $dict['options']);
        self::assertNull($dict['subtask_type']);
        self::assertTrue($dict['immutable']);
        self::assertSame('tasks.xsum', $map->routeName());
    }

    public function testAMapIgnoresPartialArgumentsAsTheWorkerDoes(): void
    {
        $map = new XStarMap(new Signature('tasks.add'), (static fn () => yield [1, 2])());

        self::assertSame($map, $map->withPartial([5]));
        self::assertSame([[1, 2]], $map->items);
        self::assertSame('celery.starmap', $map->call()->task);
    }

    public function testStarItemsMustBeArgumentLists(): void
    {
        $this->expectException(InvalidTaskArgument::class);
        $this->expectExceptionMessage('item 0 is string');
        new XStarMap(new Signature('tasks.add'), ['12']);
    }

    public function testChunksGroupHasOneStarmapPerPartOfN(): void
    {
        $chunks = new Chunks(new Signature('tasks.add'), [[1, 1], [2, 2], [3, 3]], 2, ['task_id' => 'g-1']);
        $group = $chunks->group();

        self::assertSame('g-1', $group->id);
        self::assertCount(2, $group->tasks);
        self::assertSame([[[1, 1], [2, 2]], [[3, 3]]], array_map(static fn (XStarMap $t) => $t->items, $group->tasks));
        $dict = json_decode((string) json_encode($chunks->toCelery()), true);
        self::assertSame(['celery.chunks', 2, null], [$dict['task'], $dict['kwargs']['n'], $dict['subtask_type']]);
    }
}
