<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Arguments;
use CeleryBridge\Cli\Connection;
use CeleryBridge\Cli\Console;
use CeleryBridge\Cli\UsageError;
use CeleryBridge\Cli\Values;

/** @internal */
final class PurgeCommand implements Command
{
    public const USAGE = <<<'TXT'
        Usage: celery-bridge purge QUEUE --force
        Deletes the messages waiting in QUEUE; prints how many there were.
        TXT;

    public function __construct(private readonly Console $console, private readonly Connection $connection)
    {
    }

    public function run(Arguments $args): int
    {
        $args->allowOnly([...Application::GLOBAL_OPTIONS, 'force']);
        $queue = Values::exactlyOne($args, 'a queue name');
        if (!$args->has('force')) {
            throw new UsageError(sprintf('purge deletes every message waiting in "%s": add --force.', $queue));
        }
        $purged = $this->connection->client($args)->purgeQueue($queue);
        $this->console->json
            ? $this->console->emit(['queue' => $queue, 'purged' => $purged])
            : $this->console->line(sprintf('%s: %d purged', $queue, $purged));
        return Application::OK;
    }
}
