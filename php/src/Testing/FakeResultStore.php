<?php

declare(strict_types=1);

namespace CeleryBridge\Testing;

use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Exception\InvalidTimeout;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Result\ResultStore;
use CeleryBridge\Result\State;

/**
 * CeleryFake's result backend, in memory: what a test set for a task id, else what it set for
 * the task's name, else PENDING (Celery's answer for a task no worker has finished).
 *
 * A wait never waits: what is not ready now will never be, so get() times out at once.
 *
 * @internal
 */
final class FakeResultStore extends ResultStore
{
    /** @var array<string, ResultMeta> by task id */
    private array $metas = [];

    /** @var array<string, array<mixed>> saved groups by group id */
    private array $groups = [];

    /** @var array<string, string> the name of every task sent (also the later steps of canvases), by id */
    private array $names = [];

    /** @var array<string, mixed> the outcome of every task of a name: a value, a \Closure, or a ResultMeta */
    private array $outcomes = [];

    /** @var array<string, SentTask> the messages by task id */
    private array $messages = [];

    public function __construct()
    {
        parent::__construct();
    }

    /**
     * The tasks of one send, and the name of every task id it holds (later canvas steps too).
     *
     * @param array<string, string> $names
     * @param list<SentTask> $tasks
     */
    public function sent(array $names, array $tasks): void
    {
        $this->names += $names;
        foreach ($tasks as $task) {
            $this->messages[$task->id] = $task;
        }
    }

    /**
     * What every task of this name returns: a value, a \Closure(SentTask) giving it, or a
     * failure(); with $pending, nothing (PENDING).
     */
    public function outcome(string $task, mixed $outcome, bool $pending = false): void
    {
        if ($pending) {
            unset($this->outcomes[$task]);
            return;
        }
        $this->outcomes[$task] = $outcome;
    }

    /** Forgets the tasks sent and the outcomes by name (what was set by id stays). */
    public function forgetSent(): void
    {
        [$this->names, $this->outcomes, $this->messages] = [[], [], []];
    }

    public static function failure(string $taskId, string $type, string $message, ?string $module): ResultMeta
    {
        return new ResultMeta(
            $taskId,
            State::FAILURE,
            new ExceptionInfo($type, $module, $message === '' ? [] : [$message]),
            extra: ['failure' => [$type, $message, $module]],
        );
    }

    public function set(ResultMeta $meta): void
    {
        $this->metas[$meta->taskId] = $meta;
    }

    public function fingerprint(): string
    {
        return 'celery-fake:' . spl_object_id($this);
    }

    public function meta(string $taskId): ResultMeta
    {
        return $this->metas[$taskId] ?? $this->byName($taskId) ?? ResultMeta::pending($taskId);
    }

    public function metas(array $taskIds): array
    {
        $metas = [];
        foreach ($taskIds as $taskId) {
            $metas[$taskId] = $this->meta($taskId);
        }
        return $metas;
    }

    public function wait(array $taskIds, ?float $timeout, bool $stopOnFailure = false, array $known = []): array
    {
        if ($timeout !== null && (is_nan($timeout) || $timeout < 0)) {
            throw InvalidTimeout::of($timeout);
        }
        $metas = $known + $this->metas($taskIds);
        $waiting = [];
        $failed = false;
        foreach ($metas as $taskId => $meta) {
            if (!$meta->isReady()) {
                $waiting[$taskId] = $meta->status;
            }
            $failed = $failed || in_array($meta->status, State::PROPAGATE, true);
        }
        if ($waiting === [] || ($stopOnFailure && $failed)) {
            return $metas;
        }
        throw ResultTimeout::after($timeout ?? 0.0, $waiting);
    }

    public function forget(string $taskId): void
    {
        // Afterwards the task reads PENDING, as after Celery's forget().
        $this->metas[$taskId] = ResultMeta::pending($taskId);
    }

    public function saveGroup(string $groupId, array $tuple): void
    {
        $this->groups[$groupId] = $tuple;
    }

    /**
     * @return array<mixed>|null
     */
    public function group(string $groupId): ?array
    {
        return $this->groups[$groupId] ?? null;
    }

    private function byName(string $taskId): ?ResultMeta
    {
        $name = $this->names[$taskId] ?? null;
        if ($name === null || !array_key_exists($name, $this->outcomes)) {
            return null;
        }
        $outcome = $this->outcomes[$name];
        if ($outcome instanceof ResultMeta) {
            return self::failure($taskId, ...$outcome->extra['failure']);
        }
        if ($outcome instanceof \Closure) {
            $sent = $this->messages[$taskId] ?? null;
            $outcome = $sent === null ? null : $outcome($sent);
        }
        return new ResultMeta($taskId, State::SUCCESS, $outcome);
    }
}
