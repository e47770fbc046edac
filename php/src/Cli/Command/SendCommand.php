<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Arguments;
use CeleryBridge\Cli\Connection;
use CeleryBridge\Cli\Console;
use CeleryBridge\Cli\UsageError;
use CeleryBridge\Cli\Values;
use CeleryBridge\Result\AsyncResult;

/** @internal */
final class SendCommand implements Command
{
    public const USAGE = <<<'TXT'
        Usage: celery-bridge send TASK [--args JSON] [--kwargs JSON] [--queue Q] [--countdown S]
                                  [--eta ISO-8601] [--priority 0-9] [--wait [SECONDS]]
        Prints the task id; with --wait (default 30 s, needs a backend) also its result, or the
        remote failure (exit 1).
        TXT;

    public function __construct(private readonly Console $console, private readonly Connection $connection)
    {
    }

    public function run(Arguments $args): int
    {
        $args->allowOnly([...Application::GLOBAL_OPTIONS, 'args', 'kwargs', 'queue', 'countdown', 'eta', 'priority', 'wait']);
        $task = Values::exactlyOne($args, 'a task name');
        $options = array_filter([
            'queue' => $args->get('queue'),
            'countdown' => Values::optionalNumber($args, 'countdown'),
            'eta' => $args->get('eta'),
            'priority' => Values::optionalInteger($args, 'priority'),
        ], static fn ($value) => $value !== null);
        // Everything is checked before the task is sent: a script that sees an error retries,
        // and a task already queued would then run twice.
        $signature = new Signature(
            $task,
            Values::jsonOption($args, 'args', '[]', true),
            Values::jsonOption($args, 'kwargs', '{}', false),
            $options,
        );
        $timeout = $args->has('wait') ? Values::waitSeconds($args) : null;
        $celery = $this->connection->client($args);
        if ($timeout !== null && !$this->connection->hasBackend) {
            throw new UsageError('--wait needs a result backend: pass --backend URL, set CELERY_RESULT_BACKEND, '
                . 'or result_backend in --config. Nothing was sent.');
        }
        $result = $celery->send($signature);
        \assert($result instanceof AsyncResult);
        $this->console->taskId = $result->id;
        if ($timeout === null) {
            $this->console->json ? $this->console->emit(['id' => $result->id, 'task' => $task]) : $this->console->line($result->id);
            return Application::OK;
        }
        if (!$this->console->json) {
            $this->console->line($result->id);
        }
        return (new ResultView($this->console))->waitAndShow($result, $timeout);
    }
}
