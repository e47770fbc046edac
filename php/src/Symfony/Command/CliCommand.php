<?php

declare(strict_types=1);

namespace CeleryBridge\Symfony\Command;

use CeleryBridge\Cli\Application;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputArgument;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\ConsoleOutputInterface;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * One `celery-bridge` command as a console command (`celery:send`, `celery:result`, ...) for
 * bin/console and artisan: the options are turned back into the CLI's arguments and run by the
 * CLI itself, with the application's connection settings as the defaults.
 */
final class CliCommand extends Command
{
    private const VALUE = InputOption::VALUE_REQUIRED;
    private const MAYBE = InputOption::VALUE_OPTIONAL;
    private const FLAG = InputOption::VALUE_NONE;
    private const MANY = InputOption::VALUE_REQUIRED | InputOption::VALUE_IS_ARRAY;

    /**
     * name => [description, arguments (name => mode), options (name => mode)]
     */
    private const COMMANDS = [
        'send' => [
            'Send a task to the Celery workers (and wait for its result with --wait)',
            ['task' => InputArgument::REQUIRED],
            ['args' => self::VALUE, 'kwargs' => self::VALUE, 'queue' => self::VALUE, 'countdown' => self::VALUE,
                'eta' => self::VALUE, 'priority' => self::VALUE, 'wait' => self::MAYBE],
        ],
        'result' => ["A task's state, result or failure", ['id' => InputArgument::REQUIRED], ['wait' => self::MAYBE]],
        'revoke' => [
            'Tell the workers to discard tasks',
            ['ids' => InputArgument::REQUIRED | InputArgument::IS_ARRAY],
            ['terminate' => self::FLAG, 'signal' => self::VALUE],
        ],
        'queues' => ['Messages waiting in each queue', ['queues' => InputArgument::IS_ARRAY], []],
        'purge' => ['Delete the messages waiting in a queue', ['queue' => InputArgument::REQUIRED], ['force' => self::FLAG]],
        'workers' => [
            'Ask the workers: ping|stats|active|scheduled|reserved|registered|active_queues',
            ['what' => InputArgument::REQUIRED],
            ['timeout' => self::VALUE, 'destination' => self::MANY],
        ],
    ];

    /** The names of the commands, as `celery:<name>`. */
    public const NAMES = ['send', 'result', 'revoke', 'queues', 'purge', 'workers'];

    /**
     * @param string $cli one of NAMES
     * @param array{broker?: string|null, backend?: string|null, config?: array<string, mixed>} $defaults
     */
    public function __construct(private readonly string $cli, #[\SensitiveParameter] private readonly array $defaults = [])
    {
        if (!isset(self::COMMANDS[$cli])) {
            throw new \InvalidArgumentException(sprintf('No celery-bridge command "%s"; known: %s.', $cli, implode(', ', self::NAMES)));
        }
        parent::__construct('celery:' . $cli);
    }

    protected function configure(): void
    {
        [$description, $arguments, $options] = self::COMMANDS[$this->cli];
        $this->setDescription($description);
        $this->setHelp('Runs `celery-bridge ' . $this->cli . '` with this application\'s Celery settings; '
            . '`vendor/bin/celery-bridge ' . $this->cli . ' --help` explains every option.');
        foreach ($arguments as $name => $mode) {
            $this->addArgument($name, $mode);
        }
        foreach ($options + ['json' => self::FLAG] as $name => $mode) {
            $this->addOption($name, null, $mode);
        }
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        [, $arguments, $options] = self::COMMANDS[$this->cli];
        $argv = [];
        foreach ($options + ['json' => self::FLAG] as $name => $mode) {
            $value = $input->getOption($name);
            if ($mode === self::FLAG) {
                $argv = $value ? [...$argv, '--' . $name] : $argv;
            } elseif ($mode === self::MAYBE && $value === null && $input->hasParameterOption('--' . $name, true)) {
                $argv[] = '--' . $name;
            } else {
                foreach ($value === null ? [] : (array) $value as $one) {
                    $argv[] = sprintf('--%s=%s', $name, (string) $one);
                }
            }
        }
        // After "--" every word is an argument, also one that starts with "--".
        $argv = [...$argv, '--', $this->cli];
        foreach (array_keys($arguments) as $name) {
            array_push($argv, ...array_map('strval', (array) ($input->getArgument($name) ?? [])));
        }
        $out = fopen('php://temp', 'w+');
        $err = fopen('php://temp', 'w+');
        \assert($out !== false && $err !== false);
        $code = (new Application($out, $err, $this->defaults))->run($argv);
        $output->write(self::drain($out));
        $errors = $output instanceof ConsoleOutputInterface ? $output->getErrorOutput() : $output;
        $errors->write(self::drain($err));
        return $code;
    }

    /**
     * @param resource $stream
     */
    private static function drain($stream): string
    {
        rewind($stream);
        $text = (string) stream_get_contents($stream);
        fclose($stream);
        return $text;
    }
}
