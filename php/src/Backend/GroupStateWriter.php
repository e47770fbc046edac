<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Wire\KombuJson;

/**
 * The Redis result backend's writes of group state: a chord's counter and a saved group. Each
 * write list is built once, by chordSize() or savedGroup(), then given to run() or queued in
 * the broker's transaction when the backend is the broker's database.
 *
 * @internal
 */
final class GroupStateWriter
{
    public function __construct(
        private readonly RedisConnection $connection,
        private readonly string $keyPrefix,
        private readonly ?int $expires,
    ) {
    }

    /**
     * Arms a chord as Celery's Redis backend does before the header is published: workers
     * count finished header tasks against "<group key>.s" and never run the body without it.
     * ".c" (the "body already dispatched" mark of a previous run of the same group) goes first.
     * The TTL is result_chord_expires, which defaults to result_expires.
     *
     * @return list<array{0: string, 1: string, 2?: string, 3?: int}>
     */
    public function chordSize(string $groupId, int $size): array
    {
        $key = $this->groupKey($groupId);
        return [['DEL', $key . '.c'], $this->set($key . '.s', (string) $size)];
    }

    /**
     * Celery's _save_group(): a group's shape (GroupResult.as_tuple()) under
     * celery-taskset-meta-<id>, kept as long as results are.
     *
     * @param array<mixed> $tuple
     * @return list<array{0: string, 1: string, 2?: string, 3?: int}>
     */
    public function savedGroup(string $groupId, array $tuple): array
    {
        return [$this->set($this->groupKey($groupId), KombuJson::encode(['result' => $tuple]))];
    }

    /**
     * Runs writes of chordSize() and savedGroup() on the backend's connection, one by one.
     *
     * @param list<array{0: string, 1: string, 2?: string, 3?: int}> $writes
     * @throws ConnectionFailed
     */
    public function run(array $writes): void
    {
        foreach ($writes as $write) {
            match ($write[0]) {
                'DEL' => $this->connection->del($write[1]),
                'SET' => $this->connection->set($write[1], (string) ($write[2] ?? '')),
                'SETEX' => $this->connection->set($write[1], (string) ($write[2] ?? ''), $write[3] ?? null),
            };
        }
    }

    private function groupKey(string $groupId): string
    {
        return $this->keyPrefix . MetaReader::GROUP_KEY_PREFIX . $groupId;
    }

    /**
     * @return array{0: string, 1: string, 2: string, 3?: int}
     */
    private function set(string $key, string $value): array
    {
        return $this->expires === null ? ['SET', $key, $value] : ['SETEX', $key, $value, $this->expires];
    }
}
