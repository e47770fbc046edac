<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\State;

/**
 * `celery-bridge`: send, wait, inspect, revoke and look at queues from a shell, with the
 * library's public API and Celery's setting names. Plain argv parsing: the library keeps no
 * dependency for it.
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

    private const GLOBAL_OPTIONS = ['broker', 'backend', 'config', 'json', 'help'];

    private const USAGE_TEXT = [
        '' => <<<'TXT'
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
            --json prints JSON for scripts. `celery-bridge COMMAND --help` explains a command.
            Exit codes: 0 ok, 1 task failed or revoked, 2 usage, 3 connection, 4 timeout,
            5 a stored result that cannot be read.
            TXT,
        'send' => <<<'TXT'
            Usage: celery-bridge send TASK [--args JSON] [--kwargs JSON] [--queue Q] [--countdown S]
                                      [--eta ISO-8601] [--priority 0-9] [--wait [SECONDS]]
            Prints the task id; with --wait (default 30 s, needs a backend) also its result, or the
            remote failure (exit 1).
            TXT,
        'result' => <<<'TXT'
            Usage: celery-bridge result ID [--wait SECONDS]
            Prints the task's state, its result or failure (with the traceback) and when it was done.
            With --wait, waits for it to finish first (exit 4 when it does not in time).
            TXT,
        'revoke' => <<<'TXT'
            Usage: celery-bridge revoke ID... [--terminate] [--signal SIGTERM]
            Tells the workers to discard the tasks; prints how many workers heard it.
            TXT,
        'queues' => <<<'TXT'
            Usage: celery-bridge queues [QUEUE...]
            Messages waiting in each queue (all its priority lists), task_default_queue by default.
            TXT,
        'purge' => <<<'TXT'
            Usage: celery-bridge purge QUEUE --force
            Deletes the messages waiting in QUEUE; prints how many there were.
            TXT,
        'workers' => <<<'TXT'
            Usage: celery-bridge workers ping|stats|active|scheduled|reserved|registered|active_queues
                                         [--timeout SECONDS] [--destination NODE]...
            Asks the workers (Celery's inspect) and prints each node's reply; exit 4 when none
            replied within the timeout (default 1 s).
            TXT . "\n\n" . WorkerCommands::USAGE,
        'events' => EventsCommand::USAGE,
    ];

    /** @var resource */
    private $out;

    /** @var resource */
    private $err;

    private bool $json = false;

    /** The task the command is about once known: --json errors name it ("id"). */
    private ?string $taskId = null;

    /** Whether client() was given a result backend (URL or result_backend in --config). */
    private bool $hasBackend = false;

    /** task_default_queue of the configuration in use, for `queues` without a name. */
    private string $defaultQueue = 'celery';

    /**
     * @param resource|null $out
     * @param resource|null $err
     * @param array{broker?: string|null, backend?: string|null, config?: array<string, mixed>} $defaults
     *        the connection when the command line names none: a framework's configuration (the
     *        artisan and bin/console commands), before CELERY_BROKER_URL / CELERY_RESULT_BACKEND
     */
    public function __construct($out = null, $err = null, #[\SensitiveParameter] private readonly array $defaults = [])
    {
        $this->out = $out ?? STDOUT;
        $this->err = $err ?? STDERR;
    }

    /**
     * @param list<string> $argv the program's arguments, without its name
     * @return int the exit code
     */
    public function run(array $argv): int
    {
        $command = '';
        try {
            $args = Arguments::parse($argv, ['json', 'help', 'force', 'terminate'], ['wait']);
            $this->json = $args->has('json');
            $command = $args->words[0] ?? '';
            if ($args->has('help') || $command === '' || $command === 'help') {
                $topic = $command === 'help' ? ($args->words[1] ?? '') : $command;
                $this->line(self::USAGE_TEXT[$topic] ?? self::USAGE_TEXT['']);
                return $command === '' && !$args->has('help') ? self::USAGE : self::OK;
            }
            if (!isset(self::USAGE_TEXT[$command])) {
                throw new UsageError(sprintf('unknown command "%s".', $command));
            }
            return match ($command) {
                'send' => $this->send($args),
                'result' => $this->result($args),
                'revoke' => $this->revoke($args),
                'queues' => $this->queues($args),
                'purge' => $this->purge($args),
                'workers' => $this->workers($args),
                'events' => $this->events($args),
            };
        } catch (UsageError $e) {
            $this->error('usage', $e->getMessage() . "\n\n" . (self::USAGE_TEXT[$command] ?? self::USAGE_TEXT['']));
            return self::USAGE;
        } catch (ResultTimeout $e) {
            $this->error('timeout', $e->getMessage());
            return self::TIMEOUT;
        } catch (ConnectionFailed $e) {
            // A failed publish names its task: a script can check whether it ran before resending.
            $this->taskId ??= $e->canvasId();
            $this->error('connection', $e->getMessage());
            return self::CONNECTION;
        } catch (CorruptResult $e) {
            $this->error('unreadable_result', $e->getMessage());
            return self::UNREADABLE_RESULT;
        } catch (CeleryBridgeException $e) {
            // Invalid input, URL or configuration: the command line is what has to change.
            $this->error('usage', $e->getMessage());
            return self::USAGE;
        }
    }

    private function send(Arguments $args): int
    {
        $args->allowOnly([...self::GLOBAL_OPTIONS, 'args', 'kwargs', 'queue', 'countdown', 'eta', 'priority', 'wait']);
        $task = self::exactlyOne($args, 'a task name');
        $options = array_filter([
            'queue' => $args->get('queue'),
            'countdown' => $args->has('countdown') ? self::number('countdown', $args->get('countdown')) : null,
            'eta' => $args->get('eta'),
            'priority' => $args->has('priority') ? self::integer('priority', $args->get('priority')) : null,
        ], static fn ($value) => $value !== null);
        // Everything is checked before the task is sent: a script that sees an error retries,
        // and a task already queued would then run twice.
        $signature = new Signature(
            $task,
            self::jsonOption($args, 'args', '[]', true),
            self::jsonOption($args, 'kwargs', '{}', false),
            $options,
        );
        $timeout = $args->has('wait') ? self::waitSeconds($args) : null;
        $celery = $this->client($args);
        if ($timeout !== null && !$this->hasBackend) {
            throw new UsageError('--wait needs a result backend: pass --backend URL, set CELERY_RESULT_BACKEND, '
                . 'or result_backend in --config. Nothing was sent.');
        }
        $result = $celery->send($signature);
        \assert($result instanceof AsyncResult);
        $this->taskId = $result->id;
        if ($timeout === null) {
            $this->json ? $this->emit(['id' => $result->id, 'task' => $task]) : $this->line($result->id);
            return self::OK;
        }
        if (!$this->json) {
            $this->line($result->id);
        }
        return $this->waitAndShow($result, $timeout);
    }

    private function result(Arguments $args): int
    {
        $args->allowOnly([...self::GLOBAL_OPTIONS, 'wait']);
        $this->taskId = self::exactlyOne($args, 'a task id');
        $result = $this->client($args)->result($this->taskId);
        if ($args->has('wait')) {
            return $this->waitAndShow($result, self::waitSeconds($args));
        }
        return $this->show($result);
    }

    private function waitAndShow(AsyncResult $result, float $timeout): int
    {
        try {
            $result->get(timeout: $timeout, followParents: false);
        } catch (TaskFailed | TaskRevoked) {
            // show() prints the failure from the stored result.
        }
        return $this->show($result);
    }

    private function show(AsyncResult $result): int
    {
        // One read: a task that is not ready yet would be read again by each accessor.
        $meta = $result->meta();
        $failure = $meta->exception();
        $done = $meta->dateDone?->format(\DateTimeInterface::RFC3339_EXTENDED);
        if ($this->json) {
            $this->emit([
                'id' => $result->id,
                'state' => $meta->status,
                'result' => $failure === null ? $meta->result : null,
                'exception' => $failure === null ? null : ['type' => $failure->type, 'message' => $failure->message()],
                'traceback' => $meta->traceback,
                'date_done' => $done,
            ]);
        } else {
            // Stored text is anyone's: printed with its control characters escaped (Output).
            $this->line('state: ' . Output::text($meta->status));
            if ($failure !== null) {
                $this->line(Output::text(sprintf('exception: %s: %s', $failure->type, $failure->message())));
                if ($meta->traceback !== null) {
                    $this->line(Output::text(rtrim($meta->traceback)));
                }
            } elseif ($meta->isReady()) {
                $this->line('result: ' . Output::json($meta->result));
            }
            if ($done !== null) {
                $this->line('date_done: ' . $done);
            }
        }
        // The states get() raises for: a failed or revoked task.
        return in_array($meta->status, State::PROPAGATE, true) ? self::TASK_FAILED : self::OK;
    }

    private function revoke(Arguments $args): int
    {
        $args->allowOnly([...self::GLOBAL_OPTIONS, 'terminate', 'signal']);
        $ids = array_slice($args->words, 1);
        if ($ids === []) {
            throw new UsageError('revoke needs at least one task id.');
        }
        $heard = $this->client($args)->revoke(
            count($ids) === 1 ? $ids[0] : $ids,
            $args->has('terminate'),
            (string) $args->get('signal', 'SIGTERM'),
        );
        $this->json ? $this->emit(['revoked' => $ids, 'heard_by' => $heard]) : $this->line(sprintf(
            'revoked %d task(s); %d worker connection(s) heard it',
            count($ids),
            $heard,
        ));
        return self::OK;
    }

    private function queues(Arguments $args): int
    {
        $args->allowOnly(self::GLOBAL_OPTIONS);
        $celery = $this->client($args);
        $lengths = [];
        foreach (array_slice($args->words, 1) ?: [$this->defaultQueue] as $queue) {
            $lengths[$queue] = $celery->queueLength($queue);
        }
        if ($this->json) {
            $this->emit($lengths);
        } else {
            foreach ($lengths as $queue => $length) {
                $this->line(sprintf('%s: %d', $queue, $length));
            }
        }
        return self::OK;
    }

    private function purge(Arguments $args): int
    {
        $args->allowOnly([...self::GLOBAL_OPTIONS, 'force']);
        $queue = self::exactlyOne($args, 'a queue name');
        if (!$args->has('force')) {
            throw new UsageError(sprintf('purge deletes every message waiting in "%s": add --force.', $queue));
        }
        $purged = $this->client($args)->purgeQueue($queue);
        $this->json ? $this->emit(['queue' => $queue, 'purged' => $purged]) : $this->line(sprintf('%s: %d purged', $queue, $purged));
        return self::OK;
    }

    private function workers(Arguments $args): int
    {
        if (in_array($args->words[1] ?? '', ['inspect', 'control'], true)) {
            return $this->workerCommand($args);
        }
        $args->allowOnly([...self::GLOBAL_OPTIONS, 'timeout', 'destination']);
        $method = self::exactlyOne($args, 'what to ask: ping, stats, active, scheduled, reserved, registered or active_queues');
        $timeout = $args->has('timeout') ? self::number('timeout', $args->get('timeout')) : 1.0;
        $destination = $args->all('destination') ?: null;
        $replies = $this->client($args)->control()->inspect($method, $timeout, $destination);
        if ($replies === []) {
            // One document with --json: the error on stderr, nothing on stdout.
            $this->error('timeout', sprintf('no worker replied within %s s.', $timeout));
            return self::TIMEOUT;
        }
        if ($this->json) {
            $this->emit((object) $replies);
        } else {
            foreach ($replies as $node => $reply) {
                $this->line(Output::text((string) $node) . ': ' . Output::json($reply));
            }
        }
        return self::OK;
    }

    private function events(Arguments $args): int
    {
        $args->allowOnly([...self::GLOBAL_OPTIONS, 'timeout', 'count', 'type']);
        if (count($args->words) !== 1) {
            throw new UsageError('events takes no arguments.');
        }
        return (new EventsCommand($this->line(...), $this->json))->run(
            $this->client($args),
            $args->has('timeout') ? self::number('timeout', $args->get('timeout')) : null,
            $args->has('count') ? self::integer('count', $args->get('count')) : null,
            $args->all('type'),
        );
    }

    private function workerCommand(Arguments $args): int
    {
        $args->allowOnly([...self::GLOBAL_OPTIONS, 'timeout', 'destination', 'limit']);
        $commands = new WorkerCommands($this->line(...), $this->error(...), $this->json);
        return $commands->run(
            $this->client($args)->control(),
            array_slice($args->words, 1),
            $args->has('timeout') ? self::number('timeout', $args->get('timeout')) : 1.0,
            $args->all('destination') ?: null,
            $args->has('limit') ? self::integer('limit', $args->get('limit')) : null,
        );
    }

    private function client(Arguments $args): CeleryClient
    {
        $config = ClientConfig::withCeleryNames(
            $args->has('config') ? self::configFile((string) $args->get('config')) : ($this->defaults['config'] ?? []),
        );
        $broker = $args->get('broker') ?? ($this->defaults['broker'] ?? null) ?? (getenv('CELERY_BROKER_URL') ?: null);
        $backend = $args->get('backend') ?? ($this->defaults['backend'] ?? null) ?? (getenv('CELERY_RESULT_BACKEND') ?: null);
        $this->defaultQueue = is_string($config['task_default_queue'] ?? null) ? $config['task_default_queue'] : 'celery';
        if ($broker === null && !isset($config['broker_url'])) {
            throw new UsageError('no broker: pass --broker URL, set CELERY_BROKER_URL, or broker_url in --config.');
        }
        self::refuseEmptyUrls($args);
        $this->hasBackend = is_string($backend) || (isset($config['result_backend']) && $config['result_backend'] !== '');
        return new CeleryClient(
            is_string($broker) ? $broker : null,
            is_string($backend) ? $backend : null,
            $config,
        );
    }

    /** --broker '' or --backend '' (an unset shell variable): said plainly, not as a URL error. */
    private static function refuseEmptyUrls(Arguments $args): void
    {
        foreach (['broker', 'backend'] as $option) {
            if ($args->get($option) === '') {
                throw new UsageError(sprintf('--%s is empty: give a Redis URL (redis://host:6379/0), or leave the '
                    . 'option out to use %s.', $option, $option === 'broker'
                    ? 'CELERY_BROKER_URL or broker_url in --config'
                    : 'CELERY_RESULT_BACKEND or result_backend in --config (no backend: no results)'));
            }
        }
    }

    /**
     * @return array<string, mixed>
     */
    private static function configFile(string $path): array
    {
        if (!is_file($path) || !is_readable($path)) {
            throw new UsageError(sprintf('--config: cannot read "%s".', $path));
        }
        if (str_ends_with(strtolower($path), '.py')) {
            // PHP cannot run Python: the same settings, as JSON, are read.
            throw new UsageError(sprintf(
                '--config: "%s" is Python, which celery-bridge does not read: give it a .json file, or a .php file '
                . 'returning an array, with the same setting names. To convert the settings once: (cd %s && python3 -c '
                . '"import json, %s as c; print(json.dumps({k: v for k, v in vars(c).items() if k[0] != \'_\' and '
                . 'isinstance(v, (str, int, float, bool, list, tuple, dict))}, indent=1))") > celeryconfig.json',
                $path,
                escapeshellarg(dirname($path)),
                pathinfo($path, PATHINFO_FILENAME),
            ));
        }
        $config = str_ends_with(strtolower($path), '.php')
            ? (static fn (string $file): mixed => require $file)($path)
            : json_decode((string) file_get_contents($path), true);
        if (!is_array($config) || ($config !== [] && array_is_list($config))) {
            throw new UsageError(sprintf('--config: "%s" must hold an object of Celery setting names (a .php file '
                . 'returning an array, or JSON).', $path));
        }
        return $config;
    }

    private static function exactlyOne(Arguments $args, string $what): string
    {
        if (count($args->words) !== 2) {
            throw new UsageError(sprintf('%s expects %s.', $args->words[0], $what));
        }
        return $args->words[1];
    }

    private static function integer(string $option, mixed $value): int
    {
        if (!is_string($value) || preg_match('/^\d+\z/', $value) !== 1) {
            throw new UsageError(sprintf('--%s expects a whole number.', $option));
        }
        return (int) $value;
    }

    private static function number(string $option, mixed $value): float
    {
        if (!is_string($value) || !is_numeric($value)) {
            throw new UsageError(sprintf('--%s expects a number.', $option));
        }
        return (float) $value;
    }

    /**
     * --args as a list, --kwargs as a stdClass: JSON objects inside stay objects and big integers
     * stay exact (JsonArgument), so the worker gets what was typed.
     *
     * @return ($list is true ? list<mixed> : \stdClass)
     */
    private static function jsonOption(Arguments $args, string $option, string $default, bool $list): array|\stdClass
    {
        $text = $args->get($option, $default);
        $value = is_string($text) ? JsonArgument::decode($option, $text) : null;
        // An empty --kwargs written as [] (PHP's habit) means no keyword arguments.
        $value = !$list && $value === [] ? new \stdClass() : $value;
        if ($list ? !is_array($value) : !$value instanceof \stdClass) {
            throw new UsageError($list
                ? sprintf('--%s expects a JSON array, e.g. [2, 3].', $option)
                : sprintf('--%s expects a JSON object, e.g. {"x": 1}.', $option));
        }
        return $value;
    }

    /** --wait [SECONDS]: 30 s when no number is given. */
    private static function waitSeconds(Arguments $args): float
    {
        $wait = $args->get('wait');
        $seconds = $wait === true ? 30.0 : self::number('wait', $wait);
        if (!is_finite($seconds) || $seconds < 0) {
            throw new UsageError('--wait expects a number of seconds, 0 or more.');
        }
        return $seconds;
    }

    private function emit(mixed $data): void
    {
        $this->line(Output::json($data));
    }

    private function line(string $text): void
    {
        fwrite($this->out, $text . "\n");
    }

    private function error(string $kind, string $message): void
    {
        $text = $this->json
            ? Output::json(['error' => $kind, 'message' => $message] + ($this->taskId === null ? [] : ['id' => $this->taskId]))
            : Output::text(sprintf('celery-bridge: %s', $message));
        fwrite($this->err, $text . "\n");
    }
}
