<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Arguments;
use CeleryBridge\Cli\Connection;
use CeleryBridge\Cli\Console;
use CeleryBridge\Cli\UsageError;

/** @internal */
final class RevokeCommand implements Command
{
    public const USAGE = <<<'TXT'
        Usage: celery-bridge revoke ID... [--terminate] [--signal SIGTERM]
        Tells the workers to discard the tasks; prints how many workers heard it.
        TXT;

    public function __construct(private readonly Console $console, private readonly Connection $connection)
    {
    }

    public function run(Arguments $args): int
    {
        $args->allowOnly([...Application::GLOBAL_OPTIONS, 'terminate', 'signal']);
        $ids = array_slice($args->words, 1);
        if ($ids === []) {
            throw new UsageError('revoke needs at least one task id.');
        }
        $heard = $this->connection->client($args)->revoke(
            count($ids) === 1 ? $ids[0] : $ids,
            $args->has('terminate'),
            (string) $args->get('signal', 'SIGTERM'),
        );
        $this->console->json ? $this->console->emit(['revoked' => $ids, 'heard_by' => $heard]) : $this->console->line(sprintf(
            'revoked %d task(s); %d worker connection(s) heard it',
            count($ids),
            $heard,
        ));
        return Application::OK;
    }
}
