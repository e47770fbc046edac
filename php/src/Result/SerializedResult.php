<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use function is_string;

/**
 * A task's result handle as serialize() leaves it: its id and its parents, no connection and
 * no client. The data unserialize() is given may come from any cache or session store, so it
 * is checked here before a handle takes it. Loaded by the first unserialize() of a handle: a
 * request that only sends never compiles it.
 *
 * @internal
 */
final class SerializedResult
{
    /**
     * AsyncResult::__unserialize()'s id and parent. A "backend" entry (the form before
     * __serialize() wrote only the id and the parent) is ignored: $celery->result($id) rebuilds it.
     *
     * @param array<string, mixed> $data
     * @return array{string, AsyncResult|GroupResult|null}
     * @throws \UnexpectedValueException for data that is no serialized AsyncResult
     */
    public static function task(array $data): array
    {
        if (!is_string($data['id'] ?? null)) {
            throw new \UnexpectedValueException('A serialized AsyncResult must hold a task id.');
        }
        $parent = $data['parent'] ?? null;
        if ($parent !== null && !$parent instanceof AsyncResult && !$parent instanceof GroupResult) {
            throw new \UnexpectedValueException('The parent of a serialized AsyncResult must be a result.');
        }
        return [$data['id'], $parent];
    }
}
