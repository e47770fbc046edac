<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Cli;

use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Command\EventsCommand;
use CeleryBridge\Cli\Command\SendCommand;
use CeleryBridge\Cli\Command\WorkersCommand;
use PHPUnit\Framework\TestCase;

/**
 * The CLI run over in-memory streams: what it prints, where, and its exit code. Nothing here
 * reaches a server (commands that would connect are refused before, or aim at a closed port).
 */
final class ApplicationTest extends TestCase
{
    private string|false $brokerEnv;

    protected function setUp(): void
    {
        $this->brokerEnv = getenv('CELERY_BROKER_URL');
        putenv('CELERY_BROKER_URL');
    }

    protected function tearDown(): void
    {
        putenv($this->brokerEnv === false ? 'CELERY_BROKER_URL' : 'CELERY_BROKER_URL=' . $this->brokerEnv);
    }

    public function testHelpAtEveryLevelInBothSpellings(): void
    {
        foreach (['-h', '--help'] as $help) {
            self::assertSame([0, self::overview(), ''], self::cli([$help]));
            self::assertSame([0, SendCommand::USAGE . "\n", ''], self::cli(['send', $help]));
            self::assertSame([0, SendCommand::USAGE . "\n", ''], self::cli([$help, 'send', 'tasks.add', '--args', '[1]']));
            self::assertSame([0, EventsCommand::USAGE . "\n", ''], self::cli(['events', $help]));
            self::assertSame([0, WorkersCommand::USAGE . "\n", ''], self::cli(['workers', 'inspect', 'stats', $help]));
        }
        self::assertSame([0, SendCommand::USAGE . "\n", ''], self::cli(['help', 'send']));
        self::assertStringContainsString('workers inspect KIND', WorkersCommand::USAGE);
    }

    public function testNoCommandPrintsTheOverviewAsAUsageError(): void
    {
        self::assertSame([2, self::overview(), ''], self::cli([]));
        self::assertSame([2, self::overview(), ''], self::cli(['--json']));
    }

    public function testVersionInBothSpellingsAndAsJson(): void
    {
        self::assertSame([0, 'celery-bridge ' . Application::VERSION . "\n", ''], self::cli(['-V']));
        self::assertSame([0, 'celery-bridge ' . Application::VERSION . "\n", ''], self::cli(['--version']));
        self::assertSame([0, '{"version":"' . Application::VERSION . "\"}\n", ''], self::cli(['--json', '--version']));
        self::assertSame([0, 'celery-bridge ' . Application::VERSION . "\n", ''], self::cli(['send', 'tasks.add', '-V']));
    }

    public function testTheVersionIsComposersBranchAlias(): void
    {
        $composer = json_decode((string) file_get_contents(dirname(__DIR__, 4) . '/composer.json'), true);

        self::assertSame($composer['extra']['branch-alias']['dev-main'] ?? null, Application::VERSION);
    }

    public function testShortFlagsAreWordsAfterTheDoubleDashAndValuesAfterAnOption(): void
    {
        self::assertSame([2, '', "celery-bridge: unknown command \"-h\".\n\n" . self::overview()], self::cli(['--', '-h']));

        [$code, , $err] = self::cli(['send', 'tasks.add', '--queue', '-h']);
        self::assertSame(2, $code);
        self::assertStringStartsWith('celery-bridge: no broker:', $err, '"-h" was the queue name, not --help');
    }

    public function testUsageErrorsNameTheProblemAndShowTheCommandsUsage(): void
    {
        self::assertSame(
            [2, '', "celery-bridge: unknown command \"frobnicate\".\n\n" . self::overview()],
            self::cli(['frobnicate']),
        );
        [$code, $out, $err] = self::cli(['--json', 'send', 'tasks.add', '--colour', 'red']);
        self::assertSame([2, ''], [$code, $out]);
        $error = json_decode($err, true, flags: JSON_THROW_ON_ERROR);
        self::assertSame('usage', $error['error']);
        self::assertStringStartsWith('unknown option --colour (known here: --broker, --backend', $error['message']);
        self::assertStringEndsWith(SendCommand::USAGE, $error['message']);
        self::assertSame(
            [2, '', "celery-bridge: --wait expects a number of seconds, 0 or more.\n\n" . SendCommand::USAGE . "\n"],
            self::cli(['send', 'tasks.add', '--wait', '-1']),
        );
    }

    public function testWorkerAndEventCommandsRefuseMalformedArgumentsBeforeConnecting(): void
    {
        // A closed port: a command that connected first would exit 3, not 2.
        $closed = ['--broker', 'redis://127.0.0.1:1/0'];
        $cases = [
            [
                ['workers', 'ping', 'extra'],
                'workers expects what to ask: ping, stats, active, scheduled, reserved, registered or active_queues.',
                WorkersCommand::USAGE,
            ],
            [['workers', 'ping', '--timeout', 'soon'], '--timeout expects a number.', WorkersCommand::USAGE],
            [['workers', 'control', 'autoscale', 'x', '1'], 'MAX expects a whole number, got "x".', WorkersCommand::USAGE],
            [['workers', 'inspect'], 'workers inspect needs a command.', WorkersCommand::USAGE],
            [['workers', 'inspect', 'nonsense'], 'unknown inspect kind "nonsense".', WorkersCommand::USAGE],
            [['workers', 'control', 'nonsense'], 'unknown control command "nonsense".', WorkersCommand::USAGE],
            [['events', 'extra'], 'events takes no arguments.', EventsCommand::USAGE],
            [['events', '--count', 'some'], '--count expects a whole number.', EventsCommand::USAGE],
        ];
        foreach ($cases as [$argv, $message, $usage]) {
            [$code, $out, $err] = self::cli([...$argv, ...$closed]);
            self::assertSame([2, ''], [$code, $out], implode(' ', $argv));
            self::assertSame("celery-bridge: $message\n\n$usage\n", $err, implode(' ', $argv));
        }
    }

    public function testAConnectionFailureExitsWith3AndAnInvalidUrlWith2WithoutItsPassword(): void
    {
        [$code, $out, $err] = self::cli(['queues', '--broker', 'redis://127.0.0.1:1/0']);
        self::assertSame([3, ''], [$code, $out]);
        self::assertStringStartsWith('celery-bridge: ', $err);

        [$code, , $err] = self::cli(['queues', '--broker', 'redis://:secret-pw@localhost:6379/not-a-db']);
        self::assertSame(2, $code);
        self::assertStringNotContainsString('secret-pw', $err);
        self::assertStringContainsString('****', $err);
    }

    public function testAFrameworksDefaultsAreTheConnectionWhenTheCommandLineNamesNone(): void
    {
        $defaults = ['broker' => 'redis://:secret-pw@localhost:6379/not-a-db'];
        [$code, , $err] = self::cli(['queues'], $defaults);
        self::assertSame(2, $code);
        self::assertStringNotContainsString('no broker', $err);
        self::assertStringContainsString('****', $err, 'the default broker URL was used (and masked)');

        [$code, , $err] = self::cli(['queues'], ['config' => ['task_default_queue' => 'q']]);
        self::assertSame(2, $code);
        self::assertStringContainsString('no broker', $err);
    }

    /**
     * @param list<string> $argv
     * @param array{broker?: string|null, backend?: string|null, config?: array<string, mixed>} $defaults
     * @return array{int, string, string} exit code, stdout, stderr
     */
    private static function cli(array $argv, array $defaults = []): array
    {
        $out = fopen('php://memory', 'w+');
        $err = fopen('php://memory', 'w+');
        self::assertNotFalse($out);
        self::assertNotFalse($err);
        $code = (new Application($out, $err, $defaults))->run($argv);
        rewind($out);
        rewind($err);
        return [$code, (string) stream_get_contents($out), (string) stream_get_contents($err)];
    }

    private static function overview(): string
    {
        [, $out] = self::cli(['--help']);
        self::assertStringStartsWith("Usage: celery-bridge [--broker URL]", $out);
        self::assertStringContainsString("\nCommands:\n", $out);
        self::assertStringContainsString('-V (--version) prints the version', $out);
        return $out;
    }
}
