<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Publish;

use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Message\PlainTaskEncoder;
use CeleryBridge\Publish\PlainMessage;
use CeleryBridge\Publish\PlainPath;
use CeleryBridge\Tests\Unit\Wire\Fixtures\ForkedIds;
use CeleryBridge\Tests\Unit\Wire\Fixtures\UuidState;
use CeleryBridge\Wire\Uuid;
use PHPUnit\Framework\TestCase;

/**
 * sendTask()'s messages on Redis. Their ids: PlainPath takes them from batches of its own, not
 * from a call to Uuid per task. They are what kombu's worker relies on: a new task id and a new
 * delivery tag (its key in the unacked hash) for every message. The rest of a message is a copy
 * of its route's model.
 */
final class PlainPathTest extends TestCase
{
    public function testEveryMessageHasANewTaskIdAndDeliveryTagAcrossBatches(): void
    {
        $path = self::path();
        $seen = [];
        // More tasks than the largest batch holds (64), several times.
        for ($i = 0; $i < 300; $i++) {
            [$taskId, $tag] = self::ids($path->message('tasks.add', [$i, $i], [], null));
            self::assertMatchesRegularExpression(UuidState::V4, $taskId);
            self::assertMatchesRegularExpression(UuidState::V4, $tag);
            $seen[$taskId] = true;
            $seen[$tag] = true;
        }
        self::assertCount(600, $seen);
    }

    /**
     * A forked child (pcntl_fork(), a worker forked by Swoole's or RoadRunner's master after the
     * client sent a task) must not send the ids its parent sends next: a worker would take two
     * different tasks for one (same result key) and ack one message for the other.
     *
     * @requires extension pcntl
     */
    public function testAForkedChildSendsIdsOfItsOwn(): void
    {
        $path = self::path();
        // Until the parent's batch has the ids of two more tasks left, which a child without a
        // process check would take.
        $ids = new \ReflectionProperty(PlainPath::class, 'ids');
        $next = new \ReflectionProperty(PlainPath::class, 'next');
        do {
            $path->message('tasks.add', [1, 2], [], null);
        } while (count($ids->getValue($path)) - $next->getValue($path) < 4);
        [$parent, $child] = ForkedIds::parentAndChild(static fn (): array => self::twoTasksIds($path));

        self::assertCount(4, $child);
        self::assertSame([], array_intersect($parent, $child));
    }

    /**
     * A PHP-FPM request that constructs a client (its reply_to) and sends one task reads the
     * random source once: the first task takes its ids from Uuid's first batch.
     */
    public function testTheFirstTaskTakesUuidsPair(): void
    {
        UuidState::reset();

        Uuid::v4();
        self::path()->message('tasks.add', [1, 2], [], null);

        UuidState::assertFirstBatchTaken();
    }

    /**
     * A message is what the constructor makes for its route, whether it is built whole (the first
     * task of a name), made with the model (the second) or copied from it (the third on): its own
     * envelope, and every property set to what the constructor sets. Its queue and priority are
     * what after-publish hooks, the debug log and the result handle see; its list is the one
     * kombu's worker BRPOPs for that priority.
     */
    public function testAMessageIsWhatTheConstructorMakesForItsRoute(): void
    {
        $config = ClientConfig::fromArray([
            'task_routes' => ['tasks.add' => ['queue' => 'math', 'priority' => 3]],
            'task_default_priority' => 5,
        ]);
        $path = self::path($config);

        $added = $path->message('tasks.add', [1, 2], [], null);
        $multiplied = $path->message('tasks.mul', [3, 4], [], null);
        $again = $path->message('tasks.add', [5, 6], [], null);
        $third = $path->message('tasks.add', [7, 8], [], null);
        $fourth = $path->message('tasks.add', [9, 10], [], null);

        $expected = [
            [$added, 'tasks.add', [1, 2], 'math', 3],
            [$multiplied, 'tasks.mul', [3, 4], 'celery', 5],
            [$again, 'tasks.add', [5, 6], 'math', 3],
            [$third, 'tasks.add', [7, 8], 'math', 3],
            [$fourth, 'tasks.add', [9, 10], 'math', 3],
        ];
        foreach ($expected as [$message, $name, $args, $queue, $priority]) {
            // The envelope is this task's (its id, name, arguments and delivery), not a copy's.
            self::ids($message);
            \assert($message !== null);
            $envelope = json_decode($message->envelope, true, 512, JSON_THROW_ON_ERROR);
            self::assertSame($name, $envelope['headers']['task']);
            self::assertSame($args, json_decode(base64_decode($envelope['body']), true)[0]);
            self::assertSame($queue, $envelope['properties']['delivery_info']['routing_key']);
            self::assertSame($priority, $envelope['properties']['priority']);
            // Every property is the constructor's (an unset one differs too).
            $list = $config->listFor($queue, $priority);
            self::assertNotSame($queue, $list, 'a priority list, not the queue itself');
            self::assertEquals(new PlainMessage($message->taskId, $message->envelope, $list, $queue, $priority), $message);
        }
        self::assertNotSame($added?->taskId, $again?->taskId);
        self::assertNotSame($added?->envelope, $again?->envelope);
        $ids = array_map(static fn (?PlainMessage $message): ?string => $message?->taskId, [$added, $again, $third, $fourth]);
        self::assertCount(4, array_unique($ids));
    }

    private static function path(?ClientConfig $config = null): PlainPath
    {
        $encoder = PlainTaskEncoder::forClient('gen1@host', '0c5e9a4e-6b0e-4f3e-9d37-8f1a2b3c4d5e', 2, 'json', null);
        self::assertNotNull($encoder);
        return new PlainPath($config ?? ClientConfig::fromArray([]), $encoder);
    }

    /**
     * @return array{string, string} the task id and the delivery tag the envelope carries
     */
    private static function ids(?PlainMessage $message): array
    {
        self::assertNotNull($message);
        $envelope = json_decode($message->envelope, true, 512, JSON_THROW_ON_ERROR);
        self::assertSame($message->taskId, $envelope['headers']['id']);
        return [$envelope['headers']['id'], $envelope['properties']['delivery_tag']];
    }

    /** @return list<string> */
    private static function twoTasksIds(PlainPath $path): array
    {
        return [
            ...self::ids($path->message('tasks.add', [1, 2], [], null)),
            ...self::ids($path->message('tasks.add', [3, 4], [], null)),
        ];
    }
}
