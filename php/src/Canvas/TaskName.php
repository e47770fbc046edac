<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Wire\PlainText;

use function bin2hex;
use function ctype_graph;
use function mb_check_encoding;
use function sprintf;

/**
 * The rule for a task name, shared by Signature and sendTask()'s template path: the worker
 * looks the name up in its registry, and kombu would carry control characters into logs.
 *
 * @internal
 */
final class TaskName
{
    /**
     * @throws InvalidTaskArgument
     */
    public static function check(string $task): void
    {
        // A name of printable ASCII without spaces (ctype_graph(), PlainText's own first test)
        // needs no closer look: a publish without options does not load PlainText for it.
        if (
            $task === '' || (!ctype_graph($task) && PlainText::hasControl($task, orSpace: true))
            || !mb_check_encoding($task, 'UTF-8')
        ) {
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
