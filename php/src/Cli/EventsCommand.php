<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

use CeleryBridge\CeleryClient;
use CeleryBridge\Events\Event;
use CeleryBridge\Events\TaskEvent;
use CeleryBridge\Events\WorkerEvent;

/**
 * `celery-bridge events`: Celery's event stream, one line per event (or its fields as a JSON
 * line with --json), until --timeout or --count events.
 *
 * @internal
 */
final class EventsCommand
{
    public const USAGE = <<<'TXT'
        Usage: celery-bridge events [--timeout SECONDS] [--count N] [--type TYPE]...
        Prints Celery's events as they come (what `celery events` reads): one line each
        "time type node task-id name args/result/exception", or with --json each event's fields
        as one JSON object per line. --type narrows to those event types (e.g. task-failed);
        without --timeout it runs until interrupted. Task events need workers started with -E.
        TXT;

    /**
     * @param \Closure(string): void $line
     */
    public function __construct(private readonly \Closure $line, private readonly bool $json)
    {
    }

    /**
     * @param list<string> $types
     */
    public function run(CeleryClient $celery, ?float $timeout, ?int $count, array $types): int
    {
        $seen = 0;
        $until = $count === null ? null : static function () use (&$seen, $count): bool {
            return ++$seen >= $count;
        };
        foreach ($celery->events($timeout, $until, $types === [] ? null : $types) as $event) {
            ($this->line)($this->json ? (string) json_encode(
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
