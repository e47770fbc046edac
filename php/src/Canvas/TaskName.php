<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidTaskArgument;

/**
 * The rule for a task name, shared by Signature and sendTask()'s template path: the worker
 * looks the name up in its registry, and kombu would carry control characters into logs.
 *
 * @internal
 */
final class TaskName
{
    /** ASCII control characters and the space, which no registered task name has. */
    private const SPACE_AND_CONTROL = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
        . "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20\x7f";

    /**
     * @throws InvalidTaskArgument
     */
    public static function check(string $task): void
    {
        // No regular expression (compiling one costs a fresh process ~30 us): printable ASCII
        // (ctype_graph, the common name) has no space or control character; other names are
        // checked byte by byte.
        $clean = ctype_graph($task) || strcspn($task, self::SPACE_AND_CONTROL) === strlen($task);
        if ($task === '' || !$clean || !mb_check_encoding($task, 'UTF-8')) {
            throw InvalidTaskArgument::at('name', sprintf(
                '"%s" is not a task name: expected the name the worker registered, e.g. "tasks.add".',
                mb_check_encoding($task, 'UTF-8') ? $task : bin2hex($task),
            ));
        }
    }

    private function __construct()
    {
    }
}
