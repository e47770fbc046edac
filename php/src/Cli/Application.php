<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

use CeleryBridge\Cli\Command\Command;
use CeleryBridge\Cli\Command\EventsCommand;
use CeleryBridge\Cli\Command\PurgeCommand;
use CeleryBridge\Cli\Command\QueuesCommand;
use CeleryBridge\Cli\Command\ResultCommand;
use CeleryBridge\Cli\Command\RevokeCommand;
use CeleryBridge\Cli\Command\SendCommand;
use CeleryBridge\Cli\Command\WorkersCommand;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTimeout;

/**
 * `celery-bridge`: send, wait, inspect, revoke and look at queues from a shell, with the
 * library's public API and Celery's setting names. Plain argv parsing: the library keeps no
 * dependency for it. This class picks the command (one class each, in Command\), answers
 * --help and --version, and turns what a command throws into an exit code.
 *
 * @internal
 */
final class Application
{
    public const OK = 0;
    public const TASK_FAILED = 1;
    public const USAGE = 2;
    public const CONNECTION = 3;
    public const TIMEOUT = 4;
    /** A stored result that is not what Celery writes (CorruptResult): not the command line's fault. */
    public const UNREADABLE_RESULT = 5;

    /** The package's version line (composer.json's branch alias until the first tag). */
    public const VERSION = '0.1.x-dev';

    /** Options every command takes. */
    public const GLOBAL_OPTIONS = ['broker', 'backend', 'config', 'json', 'help'];

    /** @var array<string, class-string<Command>> */
    private const COMMANDS = [
        'send' => SendCommand::class,
        'result' => ResultCommand::class,
        'revoke' => RevokeCommand::class,
        'queues' => QueuesCommand::class,
        'purge' => PurgeCommand::class,
        'workers' => WorkersCommand::class,
        'events' => EventsCommand::class,
    ];

    private const USAGE_TEXT = <<<'TXT'
        Usage: celery-bridge [--broker URL] [--backend URL] [--config FILE] [--json] COMMAND ...

        Commands:
          send TASK        send a task (and wait for its result with --wait)
          result ID        a task's state, result or failure
          revoke ID...     tell the workers to discard tasks
          queues [Q...]    messages waiting in each queue
          purge Q --force  delete the messages waiting in a queue
          workers CMD      ping|stats|active|scheduled|reserved|registered|active_queues
          workers inspect|control CMD [ARG...]   every `celery inspect` / `celery control` command
          events           print Celery's events as they come (task and worker events)

        Connection: --broker/--backend, else CELERY_BROKER_URL / CELERY_RESULT_BACKEND, or
        --config FILE (a .php file returning an array, or .json, with Celery setting names).
        --json prints JSON for scripts. `celery-bridge COMMAND -h` (--help) explains a command,
        -V (--version) prints the version.
        Exit codes: 0 ok, 1 task failed or revoked, 2 usage, 3 connection, 4 timeout,
        5 a stored result that cannot be read.
        TXT;

    private readonly Console $console;

    /**
     * @param resource|null $out
     * @param resource|null $err
     * @param array{broker?: string|null, backend?: string|null, config?: array<string, mixed>} $defaults
     *        the connection when the command line names none: a framework's configuration (the
     *        artisan and bin/console commands), before CELERY_BROKER_URL / CELERY_RESULT_BACKEND
     */
    public function __construct($out = null, $err = null, #[\SensitiveParameter] private readonly array $defaults = [])
    {
        $this->console = new Console($out, $err);
    }

    /**
     * @param list<string> $argv the program's arguments, without its name
     * @return int the exit code
     */
    public function run(array $argv): int
    {
        $command = '';
        try {
            $args = Arguments::parse(
                $argv,
                ['json', 'help', 'version', 'force', 'terminate'],
                ['wait'],
                ['-h' => 'help', '-V' => 'version'],
            );
            $this->console->json = $args->has('json');
            $command = $args->words[0] ?? '';
            if ($args->has('version') && !$args->has('help')) {
                $this->console->json
                    ? $this->console->emit(['version' => self::VERSION])
                    : $this->console->line('celery-bridge ' . self::VERSION);
                return self::OK;
            }
            if ($args->has('help') || $command === '' || $command === 'help') {
                $topic = $command === 'help' ? ($args->words[1] ?? '') : $command;
                $this->console->line(self::usage($topic));
                return $command === '' && !$args->has('help') ? self::USAGE : self::OK;
            }
            if (!isset(self::COMMANDS[$command])) {
                throw new UsageError(sprintf('unknown command "%s".', $command));
            }
            $class = self::COMMANDS[$command];
            return (new $class($this->console, new Connection($this->defaults)))->run($args);
        } catch (UsageError $e) {
            $this->console->error('usage', $e->getMessage() . "\n\n" . self::usage($command));
            return self::USAGE;
        } catch (ResultTimeout $e) {
            $this->console->error('timeout', $e->getMessage());
            return self::TIMEOUT;
        } catch (ConnectionFailed $e) {
            // A failed publish names its task: a script can check whether it ran before resending.
            $this->console->taskId ??= $e->canvasId();
            $this->console->error('connection', $e->getMessage());
            return self::CONNECTION;
        } catch (CorruptResult $e) {
            $this->console->error('unreadable_result', $e->getMessage());
            return self::UNREADABLE_RESULT;
        } catch (CeleryBridgeException $e) {
            // Invalid input, URL or configuration: the command line is what has to change.
            $this->console->error('usage', $e->getMessage());
            return self::USAGE;
        }
    }

    /** A command's usage, or the overview for '' and unknown names. */
    private static function usage(string $command): string
    {
        return isset(self::COMMANDS[$command]) ? self::COMMANDS[$command]::USAGE : self::USAGE_TEXT;
    }
}
