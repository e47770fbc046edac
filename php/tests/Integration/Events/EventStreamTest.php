<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Events;

use CeleryBridge\CeleryClient;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Events\EventStream;
use CeleryBridge\Events\TaskEvent;
use CeleryBridge\Exception\ConnectionTimedOut;
use CeleryBridge\Tests\Integration\RedisTestCase;
use CeleryBridge\Tests\Integration\SilentServer;

/**
 * CeleryClient::events() against a real Redis: subscribed when it returns, bounded by its
 * timeout, with the channels kombu's fanout exchange uses.
 *
 * @group integration
 */
final class EventStreamTest extends RedisTestCase
{
    private static function envelope(array $event): string
    {
        return (string) json_encode([
            'body' => base64_encode((string) json_encode($event)),
            'content-encoding' => 'utf-8',
            'content-type' => 'application/json',
            'headers' => ['hostname' => 'w@h'],
            'properties' => ['delivery_mode' => 1, 'body_encoding' => 'base64'],
        ]);
    }

    public function testAnEventPublishedBeforeTheFirstReadIsNotMissed(): void
    {
        $celery = new CeleryClient($this->redisUrl);
        $db = (int) ltrim((string) parse_url($this->redisUrl, PHP_URL_PATH), '/');
        $events = $celery->events(timeout: 10.0, until: static fn ($e): bool => $e->type === 'task-succeeded');

        // events() returned: Redis already counts the subscription, before any iteration.
        $channel = sprintf('/%d.celeryev/task.succeeded', $db);
        self::assertSame([$channel => 1], $this->redis->pubsub('numsub', [$channel]));
        $this->redis->publish(sprintf('/%d.celeryev/task.received', $db), self::envelope(
            ['type' => 'task-received', 'uuid' => 'id-1', 'hostname' => 'w@h', 'timestamp' => 1.0],
        ));
        $this->redis->publish($channel, self::envelope(['type' => 'task-succeeded', 'uuid' => 'id-1', 'result' => '5']));
        $this->redis->publish($channel, self::envelope(['type' => 'task-succeeded', 'uuid' => 'id-2', 'result' => '6']));

        $seen = [];
        foreach ($events as $event) {
            self::assertInstanceOf(TaskEvent::class, $event);
            $seen[] = [$event->type, $event->taskId];
        }
        self::assertSame([['task-received', 'id-1'], ['task-succeeded', 'id-1']], $seen);
        // The stream closed its subscription when it stopped; Redis drops a closed connection's
        // subscriptions when it next reads that socket, so wait for it (bounded).
        $deadline = microtime(true) + 5.0;
        while ($this->redis->pubsub('numsub', [$channel]) !== [$channel => 0] && microtime(true) < $deadline) {
            usleep(10_000);
        }
        self::assertSame([$channel => 0], $this->redis->pubsub('numsub', [$channel]));
    }

    public function testASilentServerEndsTheSubscriptionAtTheLimitOfItsClock(): void
    {
        // The kernel accepts the connection into the backlog; nothing ever answers SUBSCRIBE.
        $silent = new SilentServer();
        $port = $silent->port;
        // Each reading is 100 s after the one before: past the connection's timeouts at once.
        $readings = 0;
        $clock = new Clock(static function () use (&$readings): float {
            return 1000.0 + 100.0 * $readings++;
        });
        try {
            new EventStream(Endpoint::tcp('127.0.0.1', $port), ['celeryev'], 1.0, null, null, $clock);
            self::fail('A server that never confirmed SUBSCRIBE gave an event stream.');
        } catch (ConnectionTimedOut $e) {
            self::assertStringContainsString('did not answer SUBSCRIBE', $e->getMessage());
        } finally {
            $silent->close();
        }
    }

    public function testTheTimeoutEndsAQuietStream(): void
    {
        $celery = new CeleryClient($this->redisUrl);
        $started = Clock::now();
        $seen = iterator_to_array($celery->events(timeout: 0.5, types: ['worker-offline']), false);
        $took = Clock::now() - $started;

        self::assertSame([], $seen);
        self::assertGreaterThanOrEqual(0.45, $took);
        self::assertLessThan(10.0, $took);
    }
}
