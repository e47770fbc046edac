<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\Describe;
use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Result\State;
use CeleryBridge\Wire\Decompressor;
use CeleryBridge\Wire\JsonCost;
use CeleryBridge\Wire\KombuJsonDecoder;
use CeleryBridge\Wire\PhpMemory;
use CeleryBridge\Wire\PythonTime;

/**
 * Reads a stored result exactly as Celery's Redis backend wrote it with the json result serializer:
 * Celery 5.7's result_compression undone (Decompressor), the JSON read as Python and kombu write
 * it (KombuJsonDecoder), then the meta's fields checked against what Celery stores. Anything
 * else is refused with CorruptResult instead of being guessed at.
 *
 * @internal
 */
final class ResultDecoder
{
    /** What celery.backends.base.compress_payload() puts in front of a compressed result. */
    public const COMPRESSED_MAGIC = Decompressor::MAGIC;

    private const KNOWN_FIELDS = [
        'status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id',
        'name', 'args', 'kwargs', 'worker', 'retries', 'queue', 'task_id',
    ];

    /**
     * How many times result_max_size decoding may take: JSON of plain text or numbers takes 1 to
     * 5 times its size, which fits; 16 MiB of small maps would take 800 MB, which does not.
     */
    public const DECODE_FACTOR = 4;

    private readonly Decompressor $decompressor;

    /**
     * @param int|null $maxSize result_max_size: bytes of stored (and of inflated) JSON; null = no limit
     */
    public function __construct(private readonly ?int $maxSize = null)
    {
        $this->decompressor = new Decompressor($maxSize);
    }

    /**
     * @throws CorruptResult|ResultTooLarge
     */
    public function decode(string $payload, string $taskId): ResultMeta
    {
        try {
            return $this->meta($this->json($payload, $taskId), $taskId);
        } catch (\UnexpectedValueException $e) {
            throw CorruptResult::in($taskId, $e->getMessage(), $e->getPrevious());
        }
    }

    /**
     * A stored value (a task's meta, a saved group) as decoded JSON, within the limits: its size
     * and inflated size (result_max_size), and what decoding it would cost (JsonCost) against
     * DECODE_FACTOR times result_max_size and against what is left under memory_limit.
     *
     * @throws \UnexpectedValueException|ResultTooLarge
     */
    public function json(string $payload, string $id): mixed
    {
        if ($this->maxSize !== null && strlen($payload) > $this->maxSize) {
            throw ResultTooLarge::stored($id, strlen($payload), $this->maxSize);
        }
        $json = $this->decompressor->decompress($payload, $id);
        $budget = $this->maxSize === null ? PHP_INT_MAX : self::DECODE_FACTOR * $this->maxSize;
        $room = PhpMemory::spare() ?? PHP_INT_MAX;
        $limit = min($budget, $room);
        // No JSON takes more than JsonCost::MAX_PER_BYTE times its length: small results skip the count.
        if (strlen($json) > intdiv($limit, JsonCost::MAX_PER_BYTE)) {
            $estimate = JsonCost::estimate($json, $limit);
            if ($estimate > $limit) {
                throw ResultTooLarge::decoding($id, strlen($json), $estimate, $limit, $room < $budget);
            }
        }
        return KombuJsonDecoder::decode($json);
    }

    /**
     * @param array<array-key, mixed>|mixed $data
     * @throws \UnexpectedValueException
     */
    private function meta(mixed $data, string $taskId): ResultMeta
    {
        if (!is_array($data) || ($data !== [] && array_is_list($data))) {
            throw new \UnexpectedValueException(sprintf('it is %s, not a JSON object.', self::kind($data)));
        }
        $status = $data['status'] ?? null;
        if (!is_string($status) || $status === '') {
            throw new \UnexpectedValueException('it has no "status" string.');
        }
        $storedId = self::optionalString($data, 'task_id');
        if ($storedId !== null && $storedId !== $taskId) {
            throw new \UnexpectedValueException(sprintf('it belongs to task %s.', self::show($storedId)));
        }
        $traceback = self::optionalString($data, 'traceback');
        $result = $data['result'] ?? null;
        if (State::isException($status)) {
            $result = self::exception($result, $traceback);
        }
        $dateDone = self::optionalString($data, 'date_done');
        $retries = $data['retries'] ?? null;
        if ($retries !== null && !is_int($retries)) {
            throw new \UnexpectedValueException(sprintf('"retries" is %s, not an integer.', self::kind($retries)));
        }
        return new ResultMeta(
            $taskId,
            $status,
            $result,
            $traceback,
            self::children($data['children'] ?? null),
            $dateDone === null ? null : PythonTime::fromisoformat($dateDone),
            self::optionalString($data, 'group_id'),
            self::optionalString($data, 'parent_id'),
            self::optionalString($data, 'name'),
            $data['args'] ?? null,
            $data['kwargs'] ?? null,
            self::optionalString($data, 'worker'),
            $retries,
            self::optionalString($data, 'queue'),
            array_diff_key($data, array_flip(self::KNOWN_FIELDS)),
        );
    }

    /**
     * Celery turns the result of a FAILURE, RETRY or REVOKED meta back into an exception when it
     * describes one. It may not: `self.retry()` without `exc=` stores RETRY with null, a task may
     * `update_state(state=FAILURE, meta={...})` and then raise Ignore. Those are kept as stored.
     */
    private static function exception(mixed $result, ?string $traceback): mixed
    {
        if (!is_array($result) || !is_string($result['exc_type'] ?? null) || $result['exc_type'] === '') {
            return $result;
        }
        try {
            return ExceptionInfo::fromStored($result, $traceback);
        } catch (\UnexpectedValueException) {
            return $result;
        }
    }

    /**
     * `children` is null or a list of result tuples as Celery's result_to_tuple() writes them:
     * `[[task_id, parent_tuple|null], null]` for a task, `[[group_id, null], [tuple, ...]]` for
     * a group (Celery 4.4 and 5.x alike).
     *
     * @return list<mixed>|null
     */
    private static function children(mixed $children): ?array
    {
        if ($children === null) {
            return null;
        }
        if (!is_array($children) || !array_is_list($children)) {
            throw new \UnexpectedValueException(sprintf('"children" is %s, not a list of results.', self::kind($children)));
        }
        foreach ($children as $child) {
            self::resultTuple($child, 0);
        }
        return $children;
    }

    private static function resultTuple(mixed $tuple, int $depth): void
    {
        $ok = $depth < 64 && is_array($tuple) && count($tuple) === 2 && array_is_list($tuple)
            && is_array($tuple[0]) && array_is_list($tuple[0]) && count($tuple[0]) === 2
            && is_string($tuple[0][0]) && $tuple[0][0] !== '';
        if (!$ok) {
            throw new \UnexpectedValueException(sprintf('"children" holds %s, which is not a result tuple.', self::kind($tuple)));
        }
        if ($tuple[0][1] !== null) {
            self::resultTuple($tuple[0][1], $depth + 1);
        }
        if ($tuple[1] !== null) {
            if (!is_array($tuple[1]) || !array_is_list($tuple[1])) {
                throw new \UnexpectedValueException('"children" holds a group whose members are not a list.');
            }
            foreach ($tuple[1] as $member) {
                self::resultTuple($member, $depth + 1);
            }
        }
    }

    /**
     * @param array<array-key, mixed> $data
     */
    private static function optionalString(array $data, string $field): ?string
    {
        $value = $data[$field] ?? null;
        if ($value !== null && !is_string($value)) {
            throw new \UnexpectedValueException(sprintf('"%s" is %s, not a string.', $field, self::kind($value)));
        }
        return $value;
    }

    private static function kind(mixed $value): string
    {
        return Describe::jsonKind($value);
    }

    private static function show(mixed $value): string
    {
        return Describe::value($value);
    }
}
