<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Wire\PhpMemory;

/**
 * Celery's result_from_tuple(): ((id, parent), children or None), the form a saved group and a
 * result's `children` take in the backend, back to result handles.
 *
 * @internal
 */
final class ResultTuple
{
    private const MAX_DEPTH = 100;

    /** What one AsyncResult handle takes in PHP 8.2 (256 bytes measured), with room to spare. */
    private const HANDLE_BYTES = 400;

    /**
     * Refuses, before any handle is made, tuples whose handles would not fit under memory_limit:
     * a meta within result_max_size can list hundreds of thousands of children.
     *
     * @param array<mixed> $tuples
     * @throws ResultTooLarge
     */
    public static function ensureRoom(array $tuples, string $of): void
    {
        $spare = PhpMemory::spare();
        if ($spare === null) {
            return;
        }
        $count = self::count($tuples, 0);
        $estimate = $count * self::HANDLE_BYTES;
        if ($estimate > $spare) {
            throw ResultTooLarge::handles($of, $count, $estimate, $spare);
        }
    }

    /**
     * The handles toResult() makes for these tuples: each, its parents, its children.
     *
     * @param array<mixed> $tuples
     */
    private static function count(array $tuples, int $depth): int
    {
        $count = 0;
        foreach ($tuples as $tuple) {
            if (!is_array($tuple) || $depth > self::MAX_DEPTH) {
                continue;
            }
            [$head, $nodes] = count($tuple) === 2 ? array_values($tuple) : [null, null];
            $parent = is_array($head) && count($head) === 2 ? array_values($head)[1] : null;
            $count += 1 + (is_array($parent) ? self::count([$parent], $depth + 1) : 0)
                + (is_array($nodes) ? self::count($nodes, $depth + 1) : 0);
        }
        return $count;
    }

    /**
     * A result's children (its meta's "children" field) as handles, after ensureRoom().
     *
     * @param array<mixed> $tuples
     * @return list<AsyncResult|GroupResult>
     * @throws CorruptResult|ResultTooLarge
     */
    public static function children(array $tuples, ResultStore $backend, WorkerReach|WorkerControl|null $control, string $of): array
    {
        self::ensureRoom($tuples, $of);
        $children = [];
        foreach ($tuples as $tuple) {
            $children[] = self::toResult((array) $tuple, $backend, $control, $of);
        }
        return $children;
    }

    /**
     * @param array<mixed> $tuple
     * @param WorkerReach|WorkerControl|null $control
     * @param string $of the task or group id the tuple was read for (for the error message)
     * @throws CorruptResult
     */
    public static function toResult(
        array $tuple,
        ?ResultStore $backend,
        WorkerReach|WorkerControl|null $control,
        string $of,
        int $depth = 0,
    ): AsyncResult|GroupResult {
        [$head, $nodes] = count($tuple) === 2 ? array_values($tuple) : [null, null];
        [$id, $parent] = is_array($head) && count($head) === 2 ? array_values($head) : [$head, null];
        $shape = is_string($id) && ($nodes === null || is_array($nodes)) && ($parent === null || is_array($parent));
        if (!$shape || $depth > self::MAX_DEPTH) {
            throw CorruptResult::in($of, 'it holds a result tuple that is not Celery\'s ((id, parent), children) form.');
        }
        $parent = $parent === null ? null : self::toResult($parent, $backend, $control, $of, $depth + 1);
        if ($nodes === null) {
            return new AsyncResult($id, $backend, $parent, $control);
        }
        $children = [];
        foreach ($nodes as $node) {
            if (!is_array($node)) {
                throw CorruptResult::in($of, 'it holds a result tuple that is not Celery\'s ((id, parent), children) form.');
            }
            $children[] = self::toResult($node, $backend, $control, $of, $depth + 1);
        }
        return new GroupResult($id, $children, $parent, $control);
    }
}
