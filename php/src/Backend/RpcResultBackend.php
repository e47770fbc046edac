<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Connection\Amqp\ReplyConsumer;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\NotSupportedByBackend;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Result\ResultStore;
use CeleryBridge\Result\State;
use CeleryBridge\Result\WaitTime;

/**
 * Celery's rpc:// result backend, reading side. Results are not stored anywhere: the worker
 * publishes each state of a task (STARTED, RETRY, custom states, the final one) as a message
 * to the queue named by the task message's reply_to, this client's oid, with correlation_id =
 * the task id. This client declares that queue before it publishes (RpcReplyQueueTransport)
 * and reads it here.
 *
 * A message read is gone from the queue, so whatever arrives is kept in this process by task
 * id: a result that comes while waiting for another task's waits for its own handle, as in
 * Celery (up to BUFFER_MAX tasks, the least recent dropped first, as Celery's buffer).
 *
 * @internal
 */
final class RpcResultBackend extends ResultStore
{
    /** Celery's MESSAGE_BUFFER_MAX: how many tasks' results wait here for their handles. */
    public const BUFFER_MAX = 8192;

    /** @var array<string, ResultMeta> the last state received for each task, the least recent first */
    private array $latest = [];

    /** @var array<string, CorruptResult|ResultTooLarge> a reply for the task that could not be read */
    private array $unreadable = [];

    /** @var array{string, \Closure(ResultMeta): void}|null the task waitWatching() reports, and to whom */
    private ?array $watch = null;

    /** @var list<ResultMeta> states of the watched task not reported yet */
    private array $toTell = [];
    private bool $telling = false;

    private readonly RpcReplyDecoder $decoder;

    /**
     * @param string $oid the queue's name: the reply_to of every task message this client sends
     */
    public function __construct(
        public readonly string $oid,
        private readonly ReplyConsumer $consumer,
        ?int $maxSize = null,
    ) {
        $this->decoder = new RpcReplyDecoder($maxSize);
    }

    /**
     * The rpc backend's reply queue arguments (kombu's Queue(expires=result_expires)): x-expires in
     * milliseconds, so that RabbitMQ deletes a queue nobody reads; none when results never expire.
     *
     * @return array<string, int>
     */
    public static function queueArguments(?int $resultExpires): array
    {
        return $resultExpires === null || $resultExpires <= 0 ? [] : ['x-expires' => $resultExpires * 1000];
    }

    /** Whether a result_backend URL names the rpc backend (rpc://, as Celery reads the scheme). */
    public static function isRpcUrl(#[\SensitiveParameter] mixed $url): bool
    {
        return is_string($url) && ($url === 'rpc' || str_starts_with($url, 'rpc://'));
    }

    /** Whether $result reads through an rpc:// backend (false when it has no backend). */
    public static function reads(AsyncResult $result): bool
    {
        try {
            return $result->backend() instanceof self;
        } catch (NoResultBackend) {
            return false;
        }
    }

    /**
     * Declares the reply queue, as Celery's on_task_call() does before each publish: a result
     * published to a queue that does not exist is dropped by RabbitMQ.
     *
     * @throws ConnectionFailed
     */
    public function declareReplyQueue(): void
    {
        $this->consumer->declare();
    }

    public function meta(string $taskId): ResultMeta
    {
        return $this->metas([$taskId])[$taskId];
    }

    public function metas(array $taskIds): array
    {
        $taskIds = array_values(array_unique($taskIds));
        if (!self::allReady($this->received($taskIds))) {
            $this->absorb($this->consumer->fetch());
        }
        return $this->received($taskIds);
    }

    /**
     * Waits for the tasks' results on the reply queue: what is in it now first (basic.get), then
     * each message the broker pushes, until every task is ready (or, with $stopOnFailure, one
     * failed or was revoked) or the timeout passes.
     */
    public function wait(array $taskIds, ?float $timeout, bool $stopOnFailure = false, array $known = []): array
    {
        $timeout = WaitTime::seconds($timeout);
        $deadline = $timeout === null ? null : Clock::now() + $timeout;
        $taskIds = array_values(array_unique($taskIds));
        $known = array_intersect_key($known, array_flip($taskIds));
        $metas = array_replace($this->received($taskIds), $known);
        if (self::done($metas, $stopOnFailure)) {
            return $metas;
        }
        $this->absorb($this->consumer->fetch());
        while (!self::done($metas = array_replace($this->received($taskIds), $known), $stopOnFailure)) {
            if ($deadline !== null && Clock::now() >= $deadline) {
                $states = [];
                foreach ($metas as $id => $meta) {
                    if (!$meta->isReady()) {
                        $states[(string) $id] = $meta->status;
                    }
                }
                throw ResultTimeout::after((float) $timeout, $states);
            }
            $this->absorb($this->consumer->await($deadline));
        }
        return $metas;
    }

    /**
     * Every state the worker publishes for the task reaches $onMessage, as Celery's on_message:
     * each is a message of its own on the reply queue.
     */
    public function waitWatching(string $taskId, ?float $timeout, \Closure $onMessage): array
    {
        $previous = $this->watch;
        $this->watch = [$taskId, $onMessage];
        try {
            $latest = $this->latest[$taskId] ?? null;
            if ($latest !== null && $latest->status !== State::PENDING) {
                $onMessage($latest);
            }
            return $this->wait([$taskId], $timeout);
        } finally {
            [$this->watch, $this->toTell] = [$previous, []];
        }
    }

    /**
     * Forgets what this process received for the task (Celery's rpc forget(): nothing is stored
     * on a server); its state reads PENDING afterwards.
     */
    public function forget(string $taskId): void
    {
        unset($this->latest[$taskId], $this->unreadable[$taskId]);
    }

    /**
     * @throws NotSupportedByBackend as Celery's rpc backend: nothing is stored, so no group either
     */
    public function saveGroup(string $groupId, array $tuple): void
    {
        throw NotSupportedByBackend::groups($groupId, 'GroupResult::save()');
    }

    /**
     * @param list<\CeleryBridge\Connection\Amqp\Reply> $replies
     */
    private function absorb(array $replies): void
    {
        foreach ($replies as $reply) {
            $taskId = $this->decoder->taskId($reply);
            if ($taskId === null) {
                // Names no task: no handle can ever ask for it.
                continue;
            }
            try {
                $meta = $this->decoder->decode($reply, $taskId);
            } catch (CorruptResult | ResultTooLarge $e) {
                $this->unreadable[$taskId] = $e;
                continue;
            }
            $previous = $this->latest[$taskId] ?? null;
            if ($previous !== null && $previous->isReady() && !$meta->isReady()) {
                // A state published before the final one and read after it (a retried
                // delivery): the final state stands.
                continue;
            }
            unset($this->latest[$taskId], $this->unreadable[$taskId]);
            $this->latest[$taskId] = $meta;
            if (count($this->latest) > self::BUFFER_MAX) {
                unset($this->latest[array_key_first($this->latest)]);
            }
            if ($this->watch !== null && $this->watch[0] === $taskId) {
                $this->toTell[] = $meta;
            }
        }
        $this->tell();
    }

    /**
     * Reports the watched task's new states in order. A callback that reads a handle (state(),
     * info()) may receive more replies here: those are reported by the call already running,
     * after the current one, never from inside it.
     */
    private function tell(): void
    {
        if ($this->telling || $this->watch === null) {
            return;
        }
        $this->telling = true;
        try {
            while (($meta = array_shift($this->toTell)) !== null) {
                ($this->watch[1])($meta);
            }
        } finally {
            $this->telling = false;
        }
    }

    /**
     * @param list<string> $taskIds
     * @return array<string, ResultMeta>
     * @throws CorruptResult|ResultTooLarge
     */
    private function received(array $taskIds): array
    {
        $metas = [];
        foreach ($taskIds as $taskId) {
            if (isset($this->unreadable[$taskId])) {
                throw $this->unreadable[$taskId];
            }
            $metas[$taskId] = $this->latest[$taskId] ?? ResultMeta::pending($taskId);
        }
        return $metas;
    }

    /**
     * @param array<string, ResultMeta> $metas
     */
    private static function allReady(array $metas): bool
    {
        foreach ($metas as $meta) {
            if (!$meta->isReady()) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param array<string, ResultMeta> $metas
     */
    private static function done(array $metas, bool $stopOnFailure): bool
    {
        if ($stopOnFailure) {
            foreach ($metas as $meta) {
                if (in_array($meta->status, State::PROPAGATE, true)) {
                    return true;
                }
            }
        }
        return self::allReady($metas);
    }
}
