<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Arguments;
use CeleryBridge\Cli\Connection;
use CeleryBridge\Cli\Console;
use CeleryBridge\Cli\Output;
use CeleryBridge\Cli\Values;

/**
 * `workers ping|stats|...` (Celery's inspect, short form); `workers inspect|control ...` goes
 * to WorkerCommands.
 *
 * @internal
 */
final class WorkersCommand implements Command
{
    public const USAGE = <<<'TXT'
        Usage: celery-bridge workers ping|stats|active|scheduled|reserved|registered|active_queues
                                     [--timeout SECONDS] [--destination NODE]...
        Asks the workers (Celery's inspect) and prints each node's reply; exit 4 when none
        replied within the timeout (default 1 s).
        TXT . "\n\n" . WorkerCommands::USAGE;

    public function __construct(private readonly Console $console, private readonly Connection $connection)
    {
    }

    public function run(Arguments $args): int
    {
        if (in_array($args->words[1] ?? '', ['inspect', 'control'], true)) {
            $args->allowOnly([...Application::GLOBAL_OPTIONS, 'timeout', 'destination', 'limit']);
            return (new WorkerCommands($this->console))->run(
                $this->connection->client($args)->control(),
                array_slice($args->words, 1),
                Values::optionalNumber($args, 'timeout') ?? 1.0,
                $args->all('destination') ?: null,
                Values::optionalInteger($args, 'limit'),
            );
        }
        $args->allowOnly([...Application::GLOBAL_OPTIONS, 'timeout', 'destination']);
        $method = Values::exactlyOne($args, 'what to ask: ping, stats, active, scheduled, reserved, registered or active_queues');
        $timeout = Values::optionalNumber($args, 'timeout') ?? 1.0;
        $destination = $args->all('destination') ?: null;
        $replies = $this->connection->client($args)->control()->inspect($method, $timeout, $destination);
        if ($replies === []) {
            // One document with --json: the error on stderr, nothing on stdout.
            $this->console->error('timeout', sprintf('no worker replied within %s s.', $timeout));
            return Application::TIMEOUT;
        }
        if ($this->console->json) {
            $this->console->emit((object) $replies);
        } else {
            foreach ($replies as $node => $reply) {
                $this->console->line(Output::text((string) $node) . ': ' . Output::json($reply));
            }
        }
        return Application::OK;
    }
}
