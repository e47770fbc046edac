<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Exception\InvalidOption;
use Psr\Log\LoggerInterface;

/**
 * The hooks a client runs around each task it publishes, as Celery's before_task_publish and
 * after_task_publish signals (see CeleryClient::beforePublish() and afterPublish()).
 *
 * @internal
 */
final class PublishHooks
{
    /** @var list<callable(OutgoingTask): ?array<string, mixed>> */
    private array $before = [];

    /** @var list<callable(OutgoingTask): mixed> */
    private array $after = [];

    /** @param callable(OutgoingTask): (array<string, mixed>|null) $hook */
    public function addBefore(callable $hook): void
    {
        $this->before[] = $hook;
    }

    /** @param callable(OutgoingTask): mixed $hook */
    public function addAfter(callable $hook): void
    {
        $this->after[] = $hook;
    }

    public function hasBefore(): bool
    {
        return $this->before !== [];
    }

    public function hasAfter(): bool
    {
        return $this->after !== [];
    }

    /**
     * The headers the before-publish hooks return for this task, in the order the hooks were
     * added (a later one wins); [] when they add none.
     *
     * @return array<string, mixed>
     * @throws InvalidOption when a hook returns something else than header name => value
     */
    public function headersFor(OutgoingTask $task): array
    {
        $added = [];
        foreach ($this->before as $hook) {
            $headers = $hook($task);
            if ($headers === null || $headers === []) {
                continue;
            }
            if (!is_array($headers) || array_is_list($headers)) {
                throw InvalidOption::invalid('headers', $headers, 'a before-publish hook must return an array of '
                    . 'header name => value, or null.');
            }
            $added = array_merge($added, $headers);
        }
        return $added;
    }

    /**
     * Calls the after-publish hooks; a failing hook is logged as an error (or raised as a PHP
     * warning without a logger), never thrown: the task is queued, as Celery logs a failing
     * signal receiver.
     */
    public function announce(OutgoingTask $task, ?LoggerInterface $logger): void
    {
        foreach ($this->after as $hook) {
            try {
                $hook($task);
            } catch (\Throwable $e) {
                $message = 'CeleryBridge: an after-publish hook failed for task {task_id}: {error}';
                $context = ['task_id' => $task->id, 'task' => $task->name, 'error' => $e->getMessage(), 'exception' => $e];
                if ($logger !== null) {
                    $logger->error($message, $context);
                } else {
                    trigger_error(strtr($message, ['{task_id}' => $task->id, '{error}' => $e->getMessage()]), E_USER_WARNING);
                }
            }
        }
    }
}
