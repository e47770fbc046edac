<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\NotSupportedByBackend;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultStore;
use CeleryBridge\Result\ResultTuple;
use CeleryBridge\Result\WorkerReach;

/**
 * CeleryClient::restoreGroup(): Celery's GroupResult.restore(), the group a GroupResult.save()
 * stored under "celery-taskset-meta-<id>" rebuilt as nested result tuples, as Celery does.
 *
 * @internal
 */
final class SavedGroup
{
    /**
     * @throws CeleryBridgeException
     */
    public static function restore(?ResultStore $backend, WorkerReach $reach, string $groupId): ?GroupResult
    {
        if ($backend instanceof RpcResultBackend) {
            throw NotSupportedByBackend::groups($groupId, 'restoreGroup()');
        }
        if (!$backend instanceof RedisResultBackend) {
            throw NoResultBackend::configured($groupId);
        }
        $tuple = $backend->groupTuple($groupId);
        if ($tuple === null) {
            return null;
        }
        ResultTuple::ensureRoom([$tuple], $groupId);
        $result = ResultTuple::toResult($tuple, $backend, $reach, $groupId);
        return $result instanceof GroupResult ? $result : throw CorruptResult::in($groupId, 'the saved value is not a group.');
    }
}
