<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Result\ResultMeta;

/**
 * The reads of Celery's Redis result backend: GET and MGET of `celery-task-meta-<id>`, and of a
 * saved group's `celery-taskset-meta-<id>`, decoded. A missing key is PENDING, as Celery reads it.
 *
 * @internal
 */
final class MetaReader
{
    public const TASK_KEY_PREFIX = 'celery-task-meta-';
    public const GROUP_KEY_PREFIX = 'celery-taskset-meta-';

    /**
     * @param string $keyPrefix the global key prefix as Celery applies it
     */
    public function __construct(
        private readonly RedisConnection $connection,
        public readonly string $keyPrefix,
        public readonly ResultDecoder $decoder,
    ) {
    }

    public function taskKey(string $taskId): string
    {
        return $this->keyPrefix . self::TASK_KEY_PREFIX . $taskId;
    }

    public function groupKey(string $groupId): string
    {
        return $this->keyPrefix . self::GROUP_KEY_PREFIX . $groupId;
    }

    /**
     * @throws ConnectionFailed|CorruptResult
     */
    public function meta(string $taskId): ResultMeta
    {
        try {
            $payload = $this->connection->get($this->taskKey($taskId));
        } catch (ConnectionFailed $e) {
            // Another client left a list, hash or set under the key: that is not a result, and
            // reading it again will not change it (MGET, for several ids, sees it as missing).
            if (!str_contains($e->getMessage(), '"WRONGTYPE ')) {
                throw $e;
            }
            throw CorruptResult::in($taskId, 'its key holds a Redis list, hash or set, not the string Celery stores.', $e);
        }
        return $payload === null ? ResultMeta::pending($taskId) : $this->decoder->decode($payload, $taskId);
    }

    /**
     * @param list<string> $taskIds
     * @return array<string, ResultMeta> by task id
     * @throws ConnectionFailed|CorruptResult
     */
    public function metas(array $taskIds): array
    {
        $taskIds = array_values(array_unique($taskIds));
        if (count($taskIds) === 1) {
            return [$taskIds[0] => $this->meta($taskIds[0])];
        }
        $payloads = $this->connection->mGet(array_map($this->taskKey(...), $taskIds));
        $metas = [];
        foreach ($taskIds as $i => $taskId) {
            $payload = $payloads[$i] ?? null;
            $metas[$taskId] = $payload === null ? ResultMeta::pending($taskId) : $this->decoder->decode($payload, $taskId);
        }
        return $metas;
    }

    /**
     * Reads the tasks that are not known to be ready yet.
     *
     * @param list<string> $taskIds
     * @param array<string, ResultMeta> $metas
     * @return array<string, ResultMeta>
     * @throws ConnectionFailed|CorruptResult
     */
    public function fetch(array $taskIds, array $metas): array
    {
        $unknown = array_values(array_filter($taskIds, static fn (string $id) => !isset($metas[$id]) || !$metas[$id]->isReady()));
        if ($unknown === []) {
            return $metas;
        }
        return array_replace($metas, $this->metas($unknown));
    }

    /**
     * Celery's _restore_group(): the tuple save() stored, or null when there is none (never
     * saved, or expired).
     *
     * @return array<mixed>|null
     * @throws ConnectionFailed|CorruptResult|ResultTooLarge
     */
    public function groupTuple(string $groupId): ?array
    {
        $stored = $this->connection->get($this->groupKey($groupId));
        if ($stored === null) {
            return null;
        }
        try {
            // Celery saves a group as it stores a result: result_compression applies, and the
            // same limits keep a huge (or hostile) saved group from exhausting memory_limit.
            $meta = $this->decoder->json($stored, $groupId);
        } catch (\UnexpectedValueException $e) {
            throw CorruptResult::in($groupId, $e->getMessage(), $e);
        }
        $tuple = is_array($meta) ? ($meta['result'] ?? null) : null;
        if (!is_array($tuple) || count($tuple) !== 2) {
            throw CorruptResult::in($groupId, 'the saved group is not a GroupResult.as_tuple() value.');
        }
        return $tuple;
    }
}
