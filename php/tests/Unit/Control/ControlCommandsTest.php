<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Control;

use CeleryBridge\Control\Broadcast;
use CeleryBridge\Control\ControlArguments;
use CeleryBridge\Control\ControlReply;
use CeleryBridge\Control\TaskInfo;
use CeleryBridge\Exception\InvalidControlCommand;
use PHPUnit\Framework\TestCase;

/**
 * Control commands as app.control.broadcast() sends them, and the replies read back.
 */
final class ControlCommandsTest extends TestCase
{
    public function testACommandCarriesItsKeywordArguments(): void
    {
        $body = Broadcast::command('rate_limit', ['task_name' => 'tasks.add', 'rate_limit' => '10/m'], ['w@h'], ['t', 'e', 'r'])->body();

        self::assertSame(
            '{"method":"rate_limit","arguments":{"task_name":"tasks.add","rate_limit":"10/m"},"destination":["w@h"],'
            . '"pattern":null,"matcher":null,"ticket":"t","reply_to":{"exchange":"e","routing_key":"r"}}',
            json_encode($body, JSON_UNESCAPED_SLASHES),
        );
    }

    public function testInspectLaysArgumentsOverCeleryDefaultsAndRefusesOthers(): void
    {
        $objgraph = Broadcast::inspect('objgraph', null, 't', 'e', 'r', ['num' => 5]);
        self::assertSame(['num' => 5, 'max_depth' => 10, 'type' => 'Request'], $objgraph->arguments);
        self::assertSame([], Broadcast::inspect('scheduled', null, 't', 'e', 'r')->arguments);

        $this->expectException(InvalidControlCommand::class);
        $this->expectExceptionMessage('inspect stats takes no arguments');
        Broadcast::inspect('stats', null, 't', 'e', 'r', ['x' => 1]);
    }

    public function testBadNamesAndRatesAreRefused(): void
    {
        foreach ([fn () => Broadcast::command('rate limit', [], null), fn () => ControlArguments::rate('ten/m')] as $bad) {
            try {
                $bad();
                self::fail('expected InvalidControlCommand');
            } catch (InvalidControlCommand $e) {
                self::assertStringStartsWith('Control argument', $e->getMessage());
            }
        }
        self::assertSame('10/min', ControlArguments::rate('10/min'));
        self::assertSame(0, ControlArguments::rate(0));
    }

    public function testRepliesAreOkOrError(): void
    {
        $ok = ControlReply::fromReply('w@h', ['ok' => 'pool will grow']);
        $error = ControlReply::fromReply('w@h', ['error' => "ValueError('Autoscale not enabled')"]);

        self::assertSame([true, 'pool will grow'], [$ok->ok, $ok->message]);
        self::assertSame([false, "ValueError('Autoscale not enabled')"], [$error->ok, $error->message]);
    }

    public function testTaskInfoReadsActiveAndScheduledEntries(): void
    {
        $request = [
            'id' => 'id-1', 'name' => 'tasks.add', 'args' => [2, 3], 'kwargs' => ['z' => 1], 'type' => 'tasks.add',
            'hostname' => 'w@h', 'time_start' => 1700000000.25, 'acknowledged' => true,
            'delivery_info' => ['routing_key' => 'celery'], 'worker_pid' => 42,
        ];
        $active = TaskInfo::fromReply('w@h', $request);
        $scheduled = TaskInfo::fromReply('w@h', ['eta' => '2026-01-01T00:00:00+00:00', 'priority' => 6, 'request' => $request]);

        self::assertSame(['id-1', 'tasks.add', '[2, 3]', "{'z': 1}", 'w@h', 42], [
            $active->id, $active->name, $active->argsRepr, $active->kwargsRepr, $active->worker, $active->workerPid,
        ]);
        self::assertSame('1700000000.250000', $active->started?->format('U.u'));
        self::assertSame(['2026-01-01T00:00:00+00:00', 6], [$scheduled->eta, $scheduled->priority]);
        self::assertSame('(2, 3)', TaskInfo::fromReply('w@h', ['args' => '(2, 3)'] + $request)->argsRepr);
    }
}
