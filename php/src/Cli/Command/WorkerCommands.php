<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Console;
use CeleryBridge\Cli\UsageError;
use CeleryBridge\Control\Broadcast;
use CeleryBridge\Control\ControlReply;
use CeleryBridge\Control\WorkerControl;

/**
 * `celery-bridge workers inspect KIND [ARG...]` and `workers control COMMAND [ARG...]`: every
 * command of Celery's `celery inspect` and `celery control`, with their positional arguments
 * (names with "-" or "_"), --timeout, --destination and --limit.
 *
 * @internal
 */
final class WorkerCommands
{
    public const USAGE = <<<'TXT'
        Usage: celery-bridge workers inspect KIND [ARG...]    [--timeout S] [--destination NODE]... [--limit N]
               celery-bridge workers control COMMAND [ARG...] [--timeout S] [--destination NODE]... [--limit N]
          inspect: active, scheduled, reserved, revoked, registered [ATTR...], stats, conf [with_defaults],
                   query_task ID..., active_queues, report, clock, ping, memsample, memdump [N],
                   objgraph [TYPE [NUM [MAX_DEPTH]]]
          control: rate_limit TASK RATE, time_limit TASK SOFT [HARD], add_consumer QUEUE [EXCHANGE [TYPE [KEY]]],
                   cancel_consumer QUEUE, enable_events, disable_events, pool_grow [N], pool_shrink [N],
                   autoscale MAX MIN, pool_restart [MODULE...], heartbeat, shutdown, election ID TOPIC [ACTION],
                   revoke_by_stamped_headers NAME=VALUE...
        Prints each node's reply. Exit 4 when no worker replied within the timeout (default 1 s),
        1 when a worker refused the command (its error is printed). shutdown, heartbeat and election
        are not answered: they print how many connections heard them.
        TXT;

    private const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR;

    public function __construct(private readonly Console $console)
    {
    }

    /**
     * @param list<string> $words what follows "workers": "inspect"|"control", the command, its arguments
     * @param list<string>|null $destination
     * @throws UsageError
     */
    public function run(WorkerControl $control, array $words, float $timeout, ?array $destination, ?int $limit): int
    {
        [$kind, $command] = [$words[0], str_replace('-', '_', $words[1] ?? '')];
        $arguments = array_slice($words, 2);
        if ($command === '') {
            throw new UsageError(sprintf('workers %s needs a command.', $kind));
        }
        if ($kind === 'inspect') {
            return $this->inspect($control, $command, $arguments, $timeout, $destination, $limit);
        }
        $sent = match ($command) {
            'shutdown' => $control->broadcast('shutdown', [], $destination),
            'heartbeat' => $control->broadcast('heartbeat', [], $destination),
            'election' => $control->election(self::at($arguments, 0, 'ID'), self::at($arguments, 1, 'TOPIC'), $arguments[2] ?? null),
            default => null,
        };
        if (is_int($sent)) {
            $this->console->line($this->console->json
                ? (string) json_encode(['heard' => $sent])
                : sprintf('%s: heard by %d', $command, $sent));
            return Application::OK;
        }
        $c = [$destination, $timeout, $limit];
        $replies = match ($command) {
            'rate_limit' => $control->rateLimit(self::at($arguments, 0, 'TASK'), self::at($arguments, 1, 'RATE'), ...$c),
            'time_limit' => $control->timeLimit(
                self::at($arguments, 0, 'TASK'),
                self::number($arguments[1] ?? null, 'SOFT'),
                self::number($arguments[2] ?? null, 'HARD'),
                ...$c,
            ),
            'add_consumer' => $control->addConsumer(
                self::at($arguments, 0, 'QUEUE'),
                $arguments[1] ?? null,
                $arguments[2] ?? 'direct',
                $arguments[3] ?? null,
                [],
                ...$c,
            ),
            'cancel_consumer' => $control->cancelConsumer(self::at($arguments, 0, 'QUEUE'), ...$c),
            'enable_events' => $control->enableEvents(...$c),
            'disable_events' => $control->disableEvents(...$c),
            'pool_grow' => $control->poolGrow(self::integer($arguments[0] ?? '1', 'N'), ...$c),
            'pool_shrink' => $control->poolShrink(self::integer($arguments[0] ?? '1', 'N'), ...$c),
            'autoscale' => $control->autoscale(
                self::integer(self::at($arguments, 0, 'MAX'), 'MAX'),
                self::integer(self::at($arguments, 1, 'MIN'), 'MIN'),
                ...$c,
            ),
            'pool_restart' => $control->poolRestart($arguments === [] ? null : $arguments, $arguments !== [], ...$c),
            'revoke_by_stamped_headers' => self::typed($control->broadcast(
                'revoke_by_stamped_headers',
                ['headers' => (object) self::headers($arguments), 'terminate' => false, 'signal' => 'SIGTERM'],
                $destination,
                true,
                $timeout,
                $limit,
            )),
            default => throw new UsageError(sprintf('unknown control command "%s".', $command)),
        };
        return $this->show($replies, $timeout);
    }

    /**
     * @param list<string> $arguments
     * @param list<string>|null $destination
     * @throws UsageError
     */
    private function inspect(WorkerControl $control, string $kind, array $arguments, float $timeout, ?array $destination, ?int $limit): int
    {
        $named = match ($kind) {
            'registered' => ['taskinfoitems' => $arguments],
            'query_task' => ['ids' => $arguments === [] ? throw new UsageError('query_task needs task ids.') : $arguments],
            'conf' => ['with_defaults' => in_array(strtolower($arguments[0] ?? 'false'), ['1', 'true', 'yes', 'on'], true)],
            'memdump' => ['samples' => self::integer($arguments[0] ?? '10', 'N')],
            'objgraph' => [
                'type' => $arguments[0] ?? 'Request',
                'num' => self::integer($arguments[1] ?? '200', 'NUM'),
                'max_depth' => self::integer($arguments[2] ?? '10', 'MAX_DEPTH'),
            ],
            default => $arguments === [] ? [] : throw new UsageError(sprintf('inspect %s takes no arguments.', $kind)),
        };
        if (!array_key_exists($kind, Broadcast::INSPECT)) {
            throw new UsageError(sprintf('unknown inspect kind "%s".', $kind));
        }
        $replies = $control->inspect($kind, $timeout, $destination, $limit, $named);
        if ($this->console->json) {
            $this->console->line((string) json_encode((object) $replies, self::JSON_FLAGS));
        } else {
            foreach ($replies as $node => $reply) {
                $this->console->line($node . ': ' . json_encode($reply, self::JSON_FLAGS));
            }
        }
        return $this->noneReplied($replies === [], $timeout) ?? Application::OK;
    }

    /**
     * @param array<string, ControlReply> $replies
     */
    private function show(array $replies, float $timeout): int
    {
        if ($this->console->json) {
            $this->console->line((string) json_encode((object) array_map(
                static fn (ControlReply $r): array => ['ok' => $r->ok, 'message' => $r->message],
                $replies,
            ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
        } else {
            foreach ($replies as $node => $reply) {
                $this->console->line(sprintf('%s: %s %s', $node, $reply->ok ? 'OK' : 'ERROR', $reply->message));
            }
        }
        $refused = array_filter($replies, static fn (ControlReply $r): bool => !$r->ok) !== [];
        return $this->noneReplied($replies === [], $timeout) ?? ($refused ? Application::TASK_FAILED : Application::OK);
    }

    private function noneReplied(bool $none, float $timeout): ?int
    {
        if (!$none) {
            return null;
        }
        $this->console->error('timeout', sprintf('no worker replied within %s s.', $timeout));
        return Application::TIMEOUT;
    }

    /**
     * @param int|array<string, mixed> $replies
     * @return array<string, ControlReply>
     */
    private static function typed(int|array $replies): array
    {
        $typed = [];
        foreach (is_array($replies) ? $replies : [] as $node => $reply) {
            $typed[$node] = ControlReply::fromReply($node, $reply);
        }
        return $typed;
    }

    /**
     * @param list<string> $arguments
     * @return array<string, string>
     */
    private static function headers(array $arguments): array
    {
        $headers = [];
        foreach ($arguments as $pair) {
            if (!str_contains($pair, '=')) {
                throw new UsageError(sprintf('revoke_by_stamped_headers expects NAME=VALUE pairs, got "%s".', $pair));
            }
            [$name, $value] = explode('=', $pair, 2);
            $headers[$name] = $value;
        }
        if ($headers === []) {
            throw new UsageError('revoke_by_stamped_headers expects NAME=VALUE pairs.');
        }
        return $headers;
    }

    /**
     * @param list<string> $arguments
     */
    private static function at(array $arguments, int $index, string $name): string
    {
        return $arguments[$index] ?? throw new UsageError(sprintf('missing %s.', $name));
    }

    private static function integer(string $value, string $name): int
    {
        if (preg_match('/^\d+\z/', $value) !== 1) {
            throw new UsageError(sprintf('%s expects a whole number, got "%s".', $name, $value));
        }
        return (int) $value;
    }

    private static function number(?string $value, string $name): ?float
    {
        if ($value === null || in_array(strtolower($value), ['none', 'null'], true)) {
            return null;
        }
        if (!is_numeric($value)) {
            throw new UsageError(sprintf('%s expects a number of seconds, got "%s".', $name, $value));
        }
        return (float) $value;
    }
}
