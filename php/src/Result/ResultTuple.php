<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\CorruptResult;

/**
 * Celery's result_from_tuple(): ((id, parent), children or None), the form a saved group and a
 * result's `children` take in the backend, back to result handles.
 *
 * @internal
 */
final class ResultTuple
{
    private const MAX_DEPTH = 100;

    /**
     * @param array<mixed> $tuple
     * @param WorkerControl|(\Closure(): WorkerControl)|null $control
     * @param string $of the task or group id the tuple was read for (for the error message)
     * @throws CorruptResult
     */
    public static function toResult(
        array $tuple,
        ?ResultStore $backend,
        \Closure|WorkerControl|null $control,
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
