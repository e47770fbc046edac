<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Broker;

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Tests\Integration\RedisTestCase;
use CeleryBridge\Tests\Unit\Wire\Fixtures\UuidState;

/**
 * What sendTask() leaves in a real Redis: which list, and an envelope a worker can read.
 *
 * The pytest suite shows workers running these messages; this pins the keys and fields.
 *
 * @group integration
 */
final class PublishTest extends RedisTestCase
{
    private const SEP = "\x06\x16";

    public function testPublishesOneEnvelopeOnTheDefaultQueueList(): void
    {
        $id = $this->client()->sendTask('tasks.add', [2, 3])->id;

        self::assertSame(['celery'], $this->redis->keys('*'));
        $envelope = $this->envelopes('celery')[0];
        self::assertSame(['body', 'content-encoding', 'content-type', 'headers', 'properties'], array_keys($envelope));
        self::assertSame('application/json', $envelope['content-type']);
        self::assertSame('tasks.add', $envelope['headers']['task']);
        self::assertSame($id, $envelope['headers']['id']);
        self::assertSame(['exchange' => '', 'routing_key' => 'celery'], $envelope['properties']['delivery_info']);
        self::assertSame(0, $envelope['properties']['priority']);
        self::assertSame('base64', $envelope['properties']['body_encoding']);
        self::assertMatchesRegularExpression(UuidState::V4, $envelope['properties']['delivery_tag']);
        self::assertNotSame($id, $envelope['properties']['delivery_tag']);
        // kwargs is a JSON object even when empty: a worker drops a task whose kwargs is [].
        self::assertSame(
            '[[2,3],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]',
            base64_decode($envelope['body'], true),
        );
    }

    public function testEveryPublishHasItsOwnDeliveryTag(): void
    {
        $client = $this->client();
        $client->sendTask('tasks.add', [1, 1]);
        $client->sendTask('tasks.add', [1, 1], [], ['task_id' => 'same']);
        $client->sendTask('tasks.add', [1, 1], [], ['task_id' => 'same']);

        $tags = array_map(static fn (array $e) => $e['properties']['delivery_tag'], $this->envelopes('celery'));
        self::assertCount(3, array_unique($tags));
    }

    /**
     * @return iterable<string, array{array<string, mixed>, list<int>, array<int, string>}>
     */
    public function priorityLayouts(): iterable
    {
        yield 'default steps and separator' => [
            [], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            [0 => 'q', 3 => 'q' . self::SEP . '3', 6 => 'q' . self::SEP . '6', 9 => 'q' . self::SEP . '9'],
        ];
        yield 'ten steps, sep ":"' => [
            ['priority_steps' => range(0, 9), 'sep' => ':'], [0, 4, 9],
            [0 => 'q', 4 => 'q:4', 9 => 'q:9'],
        ];
        // Below the first step kombu's bisect gives index -1, which Python reads as the last step.
        yield 'steps not starting at 0' => [
            ['priority_steps' => [2, 5]], [0, 1, 2, 4, 5, 9],
            [5 => 'q' . self::SEP . '5', 2 => 'q' . self::SEP . '2'],
        ];
        yield 'global_keyprefix' => [
            ['global_keyprefix' => 'pfx:'], [0, 7],
            [0 => 'pfx:q', 6 => 'pfx:q' . self::SEP . '6'],
        ];
    }

    /**
     * @dataProvider priorityLayouts
     * @param array<string, mixed> $transport broker_transport_options
     * @param list<int> $priorities
     * @param array<int, string> $lists step => the list kombu names for it
     */
    public function testPriorityPicksTheListOfItsStep(array $transport, array $priorities, array $lists): void
    {
        $client = $this->client(['broker_transport_options' => $transport, 'task_default_queue' => 'q']);
        foreach ($priorities as $priority) {
            $client->sendTask('tasks.record', [$priority], [], ['priority' => $priority]);
        }

        $found = [];
        foreach ($this->redis->keys('*') as $key) {
            foreach ($this->envelopes($key) as $envelope) {
                $found[$key][] = $envelope['properties']['priority'];
                // A worker restoring the message re-routes it by these two: they must name this list.
                self::assertSame('q', $envelope['properties']['delivery_info']['routing_key']);
            }
        }
        $expected = [];
        $steps = $transport['priority_steps'] ?? [0, 3, 6, 9];
        foreach ($priorities as $priority) {
            $below = array_filter($steps, static fn (int $step) => $step <= $priority);
            $step = $below === [] ? end($steps) : max($below);
            $expected[$lists[$step]][] = $priority;
        }
        ksort($found);
        ksort($expected);
        self::assertSame($expected, $found);
    }

    public function testANamedExchangeCopiesTheMessageToEveryQueueBoundWithTheKey(): void
    {
        // What a worker declaring Queue('videos', Exchange('media'), routing_key='video') writes.
        $this->redis->sAdd('_kombu.binding.media', 'video' . self::SEP . self::SEP . 'videos');
        $this->redis->sAdd('_kombu.binding.media', 'video' . self::SEP . self::SEP . 'thumbnails');
        $this->redis->sAdd('_kombu.binding.media', 'audio' . self::SEP . self::SEP . 'audio');

        $id = $this->client()->sendTask('tasks.record', [], [], [
            'exchange' => 'media', 'routing_key' => 'video', 'priority' => 6,
        ])->id;

        $lists = array_values(array_filter(
            $this->redis->keys('*'),
            fn (string $key) => $this->redis->type($key) === \Redis::REDIS_LIST,
        ));
        sort($lists);
        self::assertSame(['thumbnails' . self::SEP . '6', 'videos' . self::SEP . '6'], $lists);
        foreach ($lists as $list) {
            $envelope = $this->envelopes($list)[0];
            self::assertSame($id, $envelope['headers']['id']);
            $deliveryInfo = $envelope['properties']['delivery_info'];
            self::assertSame(['exchange' => 'media', 'routing_key' => 'video'], $deliveryInfo);
        }
    }

    public function testANamedExchangeWithoutBindingsWritesNothing(): void
    {
        $this->redis->sAdd('_kombu.binding.media', 'audio' . self::SEP . self::SEP . 'audio');

        try {
            $this->client()->sendTask('tasks.record', [], [], ['exchange' => 'media', 'routing_key' => 'video']);
            self::fail('No exception was thrown.');
        } catch (RoutingFailed $e) {
            self::assertStringContainsString('"media"', $e->getMessage());
        }
        self::assertSame(['_kombu.binding.media'], $this->redis->keys('*'));
    }

    public function testGlobalKeyprefixAppliesToTheBindingSetToo(): void
    {
        $this->redis->sAdd('pfx:_kombu.binding.media', 'video' . self::SEP . self::SEP . 'videos');

        $this->client(['broker_transport_options' => ['global_keyprefix' => 'pfx:']])
            ->sendTask('tasks.record', [], [], ['exchange' => 'media', 'routing_key' => 'video']);

        self::assertCount(1, $this->envelopes('pfx:videos'));
    }

    public function testAnExchangeWithoutRoutingKeyPublishesToTheQueue(): void
    {
        // Celery falls back to the anonymous exchange unless both exchange and routing key are set.
        $this->client()->sendTask('tasks.record', [], [], ['exchange' => 'media', 'queue' => 'direct']);

        $envelope = $this->envelopes('direct')[0];
        self::assertSame(['exchange' => '', 'routing_key' => 'direct'], $envelope['properties']['delivery_info']);
    }

    /**
     * @param array<string, mixed> $config
     */
    private function client(array $config = []): CeleryClient
    {
        return new CeleryClient($this->redisUrl, config: $config);
    }

    /**
     * The envelopes of a list, oldest publish first (LPUSH puts the newest on the left).
     *
     * @return list<array<string, mixed>>
     */
    private function envelopes(string $list): array
    {
        return array_map(
            static fn (string $raw) => json_decode($raw, true, 512, JSON_THROW_ON_ERROR),
            array_reverse($this->redis->lRange($list, 0, -1)),
        );
    }
}
