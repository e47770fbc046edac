<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;

/**
 * One decoded `celery-task-meta-<id>` value. In FAILURE, RETRY and REVOKED states `result` is
 * an ExceptionInfo, as Celery itself turns the stored dict back into an exception.
 *
 * The `name` ... `queue` fields are only stored when the worker runs with result_extended.
 */
final class ResultMeta
{
    /**
     * @param array<string, mixed> $extra any other stored field (stamps, fields of newer Celery versions)
     */
    public function __construct(
        public readonly string $taskId,
        public readonly string $status,
        public readonly mixed $result = null,
        public readonly ?string $traceback = null,
        public readonly mixed $children = null,
        public readonly ?\DateTimeImmutable $dateDone = null,
        public readonly ?string $groupId = null,
        public readonly ?string $parentId = null,
        public readonly ?string $name = null,
        public readonly mixed $args = null,
        public readonly mixed $kwargs = null,
        public readonly ?string $worker = null,
        public readonly ?int $retries = null,
        public readonly ?string $queue = null,
        public readonly array $extra = [],
    ) {
    }

    /** What a missing key means: Celery never stores PENDING. */
    public static function pending(string $taskId): self
    {
        return new self($taskId, State::PENDING);
    }

    public function isReady(): bool
    {
        return State::isReady($this->status);
    }

    public function exception(): ?ExceptionInfo
    {
        return $this->result instanceof ExceptionInfo ? $this->result : null;
    }

    /**
     * What get() gives for this meta: the stored value, or for FAILURE and REVOKED the exception
     * thrown (with $propagate) or returned (without: its ExceptionInfo, or what was stored when
     * that is not an exception description).
     *
     * @throws TaskFailed|TaskRevoked
     */
    public function outcome(bool $propagate): mixed
    {
        if (!in_array($this->status, State::PROPAGATE, true)) {
            return $this->result;
        }
        $exception = $this->exception();
        if (!$propagate) {
            return $exception ?? $this->result;
        }
        throw $this->status === State::REVOKED
            ? TaskRevoked::remote($this->taskId, $exception)
            : TaskFailed::remote($this->taskId, $exception, $this->result);
    }
}
