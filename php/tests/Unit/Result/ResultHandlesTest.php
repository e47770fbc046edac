<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Result;

use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\ResultHandles;
use CeleryBridge\Tests\Unit\Backend\Fixtures\StoredResults;
use PHPUnit\Framework\TestCase;

final class ResultHandlesTest extends TestCase
{
    /**
     * The handles of tasks sent to one queue are copies of one model handle: each is its own,
     * with its id, reading and keeping its own result.
     */
    public function testHandlesOfTasksSentToOneQueueAreEachTheirOwn(): void
    {
        $results = new StoredResults();
        $handles = new ResultHandles($results->backend);

        $a = $handles->sent('a', 'celery');
        $b = $handles->sent('b', 'celery');
        $c = $handles->sent('c', 'other', ignored: true);
        $d = $handles->sent('d', 'celery', parent: $a);
        $results->store('a', '{"status": "SUCCESS", "result": 1}');
        $results->store('b', '{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["x"]}}');

        self::assertNotSame($a, $b);
        self::assertSame(['a', 'b', 'c', 'd'], [$a->id, $b->id, $c->id, $d->id]);
        self::assertSame([null, null, null, $a], [$a->parent, $b->parent, $c->parent, $d->parent]);
        self::assertSame([false, false, true, false], [$a->ignored(), $b->ignored(), $c->ignored(), $d->ignored()]);
        self::assertSame(1, $a->get(1.0));
        self::assertSame('FAILURE', $b->state());
        self::assertSame('SUCCESS', $a->state());
        self::assertSame('PENDING', $handles->sent('e', 'celery')->state());
        self::assertSame('b', unserialize(serialize($b))->id);
    }

    /**
     * sendMany() copies a queue's model itself (modelFor()), also after sendTask() sent one task
     * there (which keeps the queue's name, not yet a model).
     */
    public function testTheModelOfAQueueOneTaskWasSentToIsAHandle(): void
    {
        $results = new StoredResults();
        $handles = new ResultHandles($results->backend);

        $first = $handles->sent('a', 'celery');
        $model = $handles->modelFor('celery');
        $copy = AsyncResult::copyOf($model, 'b');

        self::assertSame($model, $handles->modelFor('celery'));
        self::assertSame(['a', 'b', 'c'], [$first->id, $copy->id, $handles->sent('c', 'celery')->id]);
        self::assertSame('PENDING', $copy->state());
    }
}
