<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The task will never run or finish: it was revoked, terminated, or had expired when a worker
 * received it (state REVOKED, Celery's TaskRevokedError).
 */
final class TaskRevoked extends \RuntimeException implements CeleryBridgeException
{
    private function __construct(
        string $message,
        public readonly string $taskId,
        public readonly ?ExceptionInfo $info,
    ) {
        parent::__construct($message);
    }

    /**
     * @param ExceptionInfo|null $info null when REVOKED was stored without exception details
     */
    public static function remote(string $taskId, ?ExceptionInfo $info): self
    {
        $reason = $info?->message() ?? '';
        return new self(
            sprintf('Task "%s" was revoked%s.', $taskId, $reason === '' ? '' : ' (' . Describe::text($reason) . ')'),
            $taskId,
            $info,
        );
    }

    /** What the worker gave as the reason: "revoked", "expired", "terminated", ... ("" if none). */
    public function reason(): string
    {
        return $this->info?->message() ?? '';
    }
}
