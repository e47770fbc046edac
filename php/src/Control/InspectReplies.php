<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

/**
 * Reads the workers' answers to the inspect commands into typed values. A worker's reply is
 * whatever its handler returned (celery/worker/control.py); a reply of another shape (an
 * older or a customised worker) gives an empty value, never an error.
 *
 * @internal
 */
final class InspectReplies
{
    /**
     * active, reserved, scheduled: a list of request dicts per node.
     *
     * @param array<string, mixed> $replies
     * @return array<string, list<TaskInfo>>
     */
    public static function tasks(array $replies): array
    {
        $typed = [];
        foreach ($replies as $node => $entries) {
            $typed[$node] = [];
            foreach (is_array($entries) ? $entries : [] as $entry) {
                if (is_array($entry)) {
                    $typed[$node][] = TaskInfo::fromReply($node, $entry);
                }
            }
        }
        return $typed;
    }

    /**
     * query_task: task id => [state, request dict] per node.
     *
     * @param array<string, mixed> $replies
     * @return array<string, array<string, array{string, TaskInfo}>>
     */
    public static function queried(array $replies): array
    {
        $found = [];
        foreach ($replies as $node => $tasks) {
            $found[$node] = [];
            foreach (is_array($tasks) ? $tasks : [] as $id => $entry) {
                if (is_array($entry) && is_string($entry[0] ?? null) && is_array($entry[1] ?? null)) {
                    $found[$node][(string) $id] = [$entry[0], TaskInfo::fromReply($node, $entry[1])];
                }
            }
        }
        return $found;
    }

    /**
     * revoked, registered: a list of strings.
     *
     * @return list<string>
     */
    public static function strings(mixed $reply): array
    {
        return array_values(array_filter(is_array($reply) ? $reply : [], 'is_string'));
    }

    /**
     * stats, conf: a dict.
     *
     * @return array<string, mixed>
     */
    public static function map(mixed $reply): array
    {
        return is_array($reply) && !array_is_list($reply) ? $reply : [];
    }

    /**
     * active_queues: a list of queue dicts.
     *
     * @return list<array<string, mixed>>
     */
    public static function maps(mixed $reply): array
    {
        return array_values(array_filter(is_array($reply) ? $reply : [], 'is_array'));
    }

    /** clock: {"clock": <int>}. */
    public static function clock(mixed $reply): int
    {
        return is_array($reply) && is_int($reply['clock'] ?? null) ? $reply['clock'] : 0;
    }

    /** report: {"ok": <text>}. */
    public static function text(mixed $reply): string
    {
        return is_array($reply) && is_string($reply['ok'] ?? null) ? $reply['ok'] : '';
    }
}
