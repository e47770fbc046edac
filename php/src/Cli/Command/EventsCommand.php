<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Arguments;
use CeleryBridge\Cli\Connection;
use CeleryBridge\Cli\Console;
use CeleryBridge\Cli\UsageError;
use CeleryBridge\Cli\Values;
use CeleryBridge\Events\Event;
use CeleryBridge\Events\TaskEvent;
use CeleryBridge\Events\WorkerEvent;

/**
 * `celery-bridge events`: Celery's event stream, one line per event (or its fields as a JSON
 * line with --json), until --timeout or --count events.
 *
 * @internal
 */
final class EventsCommand implements Command
{
    public const USAGE = <<<'TXT'
        Usage: celery-bridge events [--timeout SECONDS] [--count N] [--type TYPE]...
        Prints Celery's events as they come (what `celery events` reads): one line each
        "time type node task-id name args/result/exception", or with --json each event's fields
        as one JSON object per line. --type narrows to those event types (e.g. task-failed);
        without --timeout it runs until interrupted. Task events need workers started with -E.
        TXT;

    public function __construct(private readonly Console $console, private readonly Connection $connection)
    {
    }

    public function run(Arguments $args): int
    {
        $args->allowOnly([...Application::GLOBAL_OPTIONS, 'timeout', 'count', 'type']);
        if (count($args->words) !== 1) {
            throw new UsageError('events takes no arguments.');
        }
        $celery = $this->connection->client($args);
        $timeout = Values::optionalNumber($args, 'timeout');
        $count = Values::optionalInteger($args, 'count');
        $types = $args->all('type');
        $seen = 0;
        $until = $count === null ? null : static function () use (&$seen, $count): bool {
            return ++$seen >= $count;
        };
        foreach ($celery->events($timeout, $until, $types === [] ? null : $types) as $event) {
            $this->console->line($this->console->json ? (string) json_encode(
                (object) $event->fields(),
                JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR,
            ) : self::describe($event));
        }
        return Application::OK;
    }

    private static function describe(Event $event): string
    {
        $parts = [$event->timestamp()?->format('Y-m-d\TH:i:s.v\Z') ?? '-', $event->type(), $event->hostname()];
        if ($event instanceof TaskEvent) {
            $parts[] = $event->taskId;
            foreach (
                [
                    '' => $event->name,
                    'args=' => $event->args,
                    'kwargs=' => $event->kwargs,
                    'result=' => $event->result,
                    'runtime=' => $event->runtime === null ? null : sprintf('%.3fs', $event->runtime),
                    'exception=' => $event->exception,
                ] as $label => $value
            ) {
                if ($value !== null) {
                    $parts[] = $label . $value;
                }
            }
        } elseif ($event instanceof WorkerEvent) {
            $parts[] = sprintf('active=%s processed=%s', $event->active ?? '-', $event->processed ?? '-');
        }
        return implode(' ', $parts);
    }
}
