<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Events;

use CeleryBridge\Events\EventStream;
use CeleryBridge\Events\OtherEvent;
use CeleryBridge\Events\TaskEvent;
use CeleryBridge\Events\WorkerEvent;
use CeleryBridge\Exception\InvalidOption;
use PHPUnit\Framework\TestCase;

/**
 * Event envelopes as Celery's EventDispatcher publishes them, and the channels they go on.
 */
final class EventStreamTest extends TestCase
{
    private static function envelope(mixed $body): string
    {
        return (string) json_encode([
            'body' => base64_encode((string) json_encode($body)),
            'content-encoding' => 'utf-8',
            'content-type' => 'application/json',
            'headers' => ['hostname' => 'w@h'],
            'properties' => ['delivery_mode' => 1, 'body_encoding' => 'base64'],
        ]);
    }

    public function testAWorkersBufferedTaskEventsComeAsOneList(): void
    {
        $events = EventStream::decode(self::envelope([
            ['type' => 'task-received', 'uuid' => 'id-1', 'name' => 'tasks.add', 'args' => '(1, 2)', 'hostname' => 'w@h',
                'timestamp' => 1700000000.5],
            ['type' => 'task-succeeded', 'uuid' => 'id-1', 'result' => '3', 'runtime' => 0.01, 'hostname' => 'w@h'],
            ['type' => 'task-failed', 'uuid' => 'id-2', 'exception' => "ValueError('boom')", 'traceback' => 'Traceback'],
        ]));

        self::assertContainsOnlyInstancesOf(TaskEvent::class, $events);
        self::assertSame(['task-received', 'task-succeeded', 'task-failed'], array_map(static fn ($e) => $e->type, $events));
        self::assertSame(['id-1', 'tasks.add', '(1, 2)', '1700000000.500000'], [
            $events[0]->taskId, $events[0]->name, $events[0]->args, $events[0]->timestamp?->format('U.u'),
        ]);
        self::assertSame(['3', 0.01], [$events[1]->result, $events[1]->runtime]);
        self::assertSame("ValueError('boom')", $events[2]->exception);
    }

    public function testWorkerAndOtherEvents(): void
    {
        [$beat] = EventStream::decode(self::envelope([
            'type' => 'worker-heartbeat', 'hostname' => 'w@h', 'freq' => 2.0, 'active' => 1, 'processed' => 7,
            'loadavg' => [0.5, 0.25, 0.1], 'sw_ident' => 'py-celery', 'sw_ver' => '5.7.0', 'timestamp' => 1700000000,
        ]));
        [$custom] = EventStream::decode(self::envelope(['type' => 'task-progress', 'uuid' => 'id-1', 'hostname' => 'w@h']));

        self::assertInstanceOf(WorkerEvent::class, $beat);
        self::assertSame([2.0, 1, 7, [0.5, 0.25, 0.1], 'py-celery 5.7.0'], [
            $beat->frequency, $beat->active, $beat->processed, $beat->loadAverage, $beat->software,
        ]);
        self::assertInstanceOf(OtherEvent::class, $custom);
        self::assertSame(['task-progress', 'id-1'], [$custom->type, $custom->fields['uuid']]);
        self::assertSame([], EventStream::decode('not an envelope'));
    }

    public function testChannelsFollowKombusFanoutNames(): void
    {
        $channel = static fn (string $exchange, ?string $key): string => '/0.' . $exchange . ($key === null ? '' : '/' . $key);

        self::assertSame(
            ['/0.celeryev/task.sent', '/0.celeryev/task.multi', '/0.celeryev/worker.online'],
            EventStream::channels(['task-sent', 'worker-online'], $channel, 'celeryev', true),
        );
        self::assertSame(['/0.celeryev'], EventStream::channels(['task-sent'], $channel, 'celeryev', false));
        $this->expectException(InvalidOption::class);
        EventStream::channels(['task sent'], $channel, 'celeryev', true);
    }
}
