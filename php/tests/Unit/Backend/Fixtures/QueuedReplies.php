<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Backend\Fixtures;

use CeleryBridge\Connection\Amqp\Reply;
use CeleryBridge\Connection\Amqp\ReplyConsumer;

/**
 * A reply queue in memory: fetch() hands out what is in the queue now, await() the next batch
 * the test scripted (as the broker pushes them), nothing once the script is over.
 */
final class QueuedReplies implements ReplyConsumer
{
    /** @var list<Reply> */
    public array $queued = [];
    /** @var list<list<Reply>> */
    public array $pushes = [];
    public int $declares = 0;
    public int $fetches = 0;
    public int $awaits = 0;

    public function declare(): void
    {
        $this->declares++;
    }

    public function fetch(): array
    {
        $this->fetches++;
        [$replies, $this->queued] = [$this->queued, []];
        return $replies;
    }

    public function await(?float $deadline): array
    {
        $this->awaits++;
        return array_shift($this->pushes) ?? [];
    }

    public function close(): void
    {
    }

    /**
     * A result message as Celery 5.7's rpc backend publishes it (key order of _get_result_meta).
     *
     * @param array<string, mixed> $extra
     */
    public static function result(string $taskId, string $status, mixed $result, array $extra = [], ?string $correlationId = null): Reply
    {
        $meta = ['status' => $status, 'result' => $result, 'traceback' => null, 'children' => [],
            'date_done' => '2026-12-05T10:00:00.123456+00:00', 'task_id' => $taskId] + $extra;
        return new Reply($correlationId ?? $taskId, 'application/json', 'utf-8', (string) json_encode($meta));
    }
}
