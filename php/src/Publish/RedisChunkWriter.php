<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Broker\RetryingPublisher;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\Describe;

/**
 * RedisTransport's chunks of more than one write: one MULTI/EXEC, queued whole or not at all.
 *
 * @internal
 */
final class RedisChunkWriter
{
    /** Whether chord counters go in the broker's transaction (the backend is the same database). */
    private ?bool $counterInTransaction = null;
    /** @var array<string, true> queue lists LLEN answered for: a list, or no key yet */
    private array $listKeys = [];

    public function __construct(
        private readonly RetryingPublisher $publisher,
        private readonly ?RedisResultBackend $resultBackend,
    ) {
    }

    /**
     * The chunk's writes in one MULTI/EXEC, with the chord counters and saved groups when the
     * result backend is the broker's database (else those go first, on their own).
     *
     * @throws ConnectionFailed
     */
    public function write(PublishChunk $chunk): void
    {
        $before = [];
        foreach ($chunk->savedGroups as $groupId => $header) {
            \assert($this->resultBackend !== null);
            $writes = $this->resultBackend->groupState()->savedGroup((string) $groupId, $header->asTuple());
            $this->placeGroupState($chunk, $before, $writes);
        }
        foreach ($chunk->chordSizes as $groupId => $size) {
            \assert($this->resultBackend !== null);
            $writes = $this->resultBackend->groupState()->chordSize((string) $groupId, $size);
            $this->placeGroupState($chunk, $before, $writes);
        }
        $unchecked = $this->uncheckedListKeys($chunk->writes);
        $this->publisher->transaction(
            $before === [] ? $chunk->writes : [...$before, ...$chunk->writes],
            $unchecked === [] ? null : fn () => $this->checkListKeys($unchecked),
        );
    }

    /**
     * Inside MULTI/EXEC an LPUSH to a key of another type fails alone (WRONGTYPE) and the
     * other writes stay: part of a canvas would be queued. Each queue key is checked once
     * (LLEN) before its first transaction, so such a key refuses the whole transaction.
     *
     * @param list<array<int, string|int>> $writes
     * @return list<string> the LPUSH keys not checked yet
     */
    private function uncheckedListKeys(array $writes): array
    {
        // Loops of PHP's array functions, not of PHP code: a chunk holds a write per task.
        $lpushes = array_keys(array_column($writes, 0), 'LPUSH', true);
        if ($lpushes === []) {
            return [];
        }
        $keys = array_column(count($lpushes) === count($writes) ? $writes : array_intersect_key($writes, array_flip($lpushes)), 1);
        // (A numeric key such as "123" comes back from array_flip() as an int.)
        return array_map('strval', array_keys(array_diff_key(array_flip($keys), $this->listKeys)));
    }

    /**
     * The LLENs, run by the publisher before the transaction (retried and bounded as its PING).
     *
     * @param list<string> $keys
     * @throws ConnectionFailed
     */
    private function checkListKeys(array $keys): void
    {
        foreach ($keys as $key) {
            try {
                $this->publisher->connection()->lLen($key);
            } catch (ConnectionFailed $e) {
                if (!str_contains($e->getMessage(), 'WRONGTYPE')) {
                    throw $e;
                }
                throw ConnectionFailed::because(
                    $this->publisher->connection()->describe(),
                    sprintf('the queue key "%s" holds a value of another type, not a list; nothing of this send was '
                        . 'written. Delete or rename that key (a worker could not read it either).', Describe::text($key, 200)),
                    $e,
                );
            }
            $this->listKeys[$key] = true;
        }
    }

    /**
     * Group state goes into the transaction when the result backend is the broker's database.
     * Else (another server or database) it is written first, on its own: a chord's counter must
     * exist before any header task can finish.
     *
     * @param list<array<int, string|int>> $before
     * @param list<array{0: string, 1: string, 2?: string, 3?: int}> $writes
     * @throws ConnectionFailed
     */
    private function placeGroupState(PublishChunk $chunk, array &$before, array $writes): void
    {
        if ($this->chordCounterInTransaction()) {
            array_push($before, ...$writes);
            return;
        }
        \assert($this->resultBackend !== null);
        $this->resultBackend->groupState()->run($writes);
        $chunk->counterStored = true;
    }

    private function chordCounterInTransaction(): bool
    {
        return $this->counterInTransaction ??= $this->resultBackend !== null
            && $this->resultBackend->sharesDatabaseWith($this->publisher->connection());
    }
}
