<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Arguments;
use CeleryBridge\Cli\Connection;
use CeleryBridge\Cli\Console;

/** @internal */
final class QueuesCommand implements Command
{
    public const USAGE = <<<'TXT'
        Usage: celery-bridge queues [QUEUE...]
        Messages waiting in each queue (all its priority lists), task_default_queue by default.
        TXT;

    public function __construct(private readonly Console $console, private readonly Connection $connection)
    {
    }

    public function run(Arguments $args): int
    {
        $args->allowOnly(Application::GLOBAL_OPTIONS);
        $celery = $this->connection->client($args);
        $lengths = [];
        foreach (array_slice($args->words, 1) ?: [$this->connection->defaultQueue] as $queue) {
            $lengths[$queue] = $celery->queueLength($queue);
        }
        if ($this->console->json) {
            $this->console->emit($lengths);
        } else {
            foreach ($lengths as $queue => $length) {
                $this->console->line(sprintf('%s: %d', $queue, $length));
            }
        }
        return Application::OK;
    }
}
