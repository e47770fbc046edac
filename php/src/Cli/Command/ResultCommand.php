<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Backend\RpcResultBackend;
use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Arguments;
use CeleryBridge\Cli\Connection;
use CeleryBridge\Cli\Console;
use CeleryBridge\Cli\UsageError;
use CeleryBridge\Cli\Values;

/** @internal */
final class ResultCommand implements Command
{
    public const USAGE = <<<'TXT'
        Usage: celery-bridge result ID [--wait SECONDS]
        Prints the task's state, its result or failure (with the traceback) and when it was done.
        With --wait, waits for it to finish first (exit 4 when it does not in time).
        TXT;

    public function __construct(private readonly Console $console, private readonly Connection $connection)
    {
    }

    public function run(Arguments $args): int
    {
        $args->allowOnly([...Application::GLOBAL_OPTIONS, 'wait']);
        $this->console->taskId = Values::exactlyOne($args, 'a task id');
        $result = $this->connection->client($args)->result($this->console->taskId);
        if (RpcResultBackend::reads($result)) {
            throw new UsageError('rpc:// results are messages to the client that sent the task and are read only there '
                . '(celery-bridge send --wait reads its own); this process would see PENDING for ever. Nothing was read.');
        }
        $view = new ResultView($this->console);
        return $args->has('wait') ? $view->waitAndShow($result, Values::waitSeconds($args)) : $view->show($result);
    }
}
