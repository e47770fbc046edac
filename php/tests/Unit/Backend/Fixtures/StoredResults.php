<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Backend\Fixtures;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Result\AsyncResult;

/**
 * Celery's Redis result backend over an InMemoryRedis: results are stored as a worker stores
 * them (the meta JSON at celery-task-meta-<id>) and read back through AsyncResult handles.
 */
final class StoredResults
{
    public readonly InMemoryRedis $redis;
    public readonly RedisResultBackend $backend;

    public function __construct()
    {
        $this->redis = new InMemoryRedis();
        $this->backend = new RedisResultBackend($this->redis);
    }

    /** Stores $meta (JSON) as the result of task $id; returns its handle. */
    public function store(string $id, string $meta): AsyncResult
    {
        $this->redis->data['celery-task-meta-' . $id] = $meta;
        return $this->handle($id);
    }

    public function handle(string $id): AsyncResult
    {
        return new AsyncResult($id, $this->backend);
    }
}
