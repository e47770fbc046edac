<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidControlCommand;

/**
 * The named commands of `celery control` that change the workers (rate and time limits,
 * consumers, events, the pool, shutdown), each a method of WorkerControl. Arguments are
 * checked with ControlArguments before anything is sent; with $reply, each worker's answer
 * comes back as a ControlReply.
 *
 * @internal used by WorkerControl only; its methods are WorkerControl's public API.
 */
trait ControlCommands
{
    /**
     * @throws ConnectionFailed
     */
    abstract private function tell(Broadcast $command): int;

    /**
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    abstract private function ask(Broadcast $command, float $timeout, ?int $limit): array;

    /**
     * Tells the workers to run at most $rate tasks of $task (Celery's control.rate_limit):
     * "10/m", "100/h", "5/s" or a number per second; 0 or "0" removes the limit.
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply> node => its answer; [] without $reply
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function rateLimit(
        string $task,
        string|int|float $rate,
        ?array $destination = null,
        float $timeout = 1.0,
        ?int $limit = null,
        bool $reply = true,
    ): array {
        $arguments = ['task_name' => ControlArguments::taskName($task), 'rate_limit' => ControlArguments::rate($rate)];
        return $this->control('rate_limit', $arguments, $destination, $timeout, $limit, $reply);
    }

    /**
     * Sets $task's soft and hard time limits in seconds on the workers (Celery's
     * control.time_limit; prefork pool); null leaves that limit unset.
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function timeLimit(
        string $task,
        ?float $soft = null,
        ?float $hard = null,
        ?array $destination = null,
        float $timeout = 1.0,
        ?int $limit = null,
        bool $reply = true,
    ): array {
        return $this->control('time_limit', [
            'task_name' => ControlArguments::taskName($task),
            'hard' => ControlArguments::seconds('hard', $hard),
            'soft' => ControlArguments::seconds('soft', $soft),
        ], $destination, $timeout, $limit, $reply);
    }

    /**
     * Tells the workers to consume from $queue as well (Celery's control.add_consumer); the
     * exchange and routing key default to the queue's name on the worker.
     *
     * @param array<string, mixed> $options more kombu Queue options (e.g. queue_arguments)
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function addConsumer(
        string $queue,
        ?string $exchange = null,
        string $exchangeType = 'direct',
        ?string $routingKey = null,
        array $options = [],
        ?array $destination = null,
        float $timeout = 1.0,
        ?int $limit = null,
        bool $reply = true,
    ): array {
        return $this->control('add_consumer', array_merge([
            'queue' => ControlArguments::name('queue', $queue),
            'exchange' => $exchange,
            'exchange_type' => $exchangeType,
            'routing_key' => $routingKey,
        ], $options), $destination, $timeout, $limit, $reply);
    }

    /**
     * Tells the workers to stop consuming from $queue (Celery's control.cancel_consumer).
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function cancelConsumer(
        string $queue,
        ?array $destination = null,
        float $timeout = 1.0,
        ?int $limit = null,
        bool $reply = true,
    ): array {
        $arguments = ['queue' => ControlArguments::name('queue', $queue)];
        return $this->control('cancel_consumer', $arguments, $destination, $timeout, $limit, $reply);
    }

    /**
     * Turns task events on (Celery's control.enable_events, what `celery events` and Flower ask).
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function enableEvents(?array $destination = null, float $timeout = 1.0, ?int $limit = null, bool $reply = true): array
    {
        return $this->control('enable_events', [], $destination, $timeout, $limit, $reply);
    }

    /**
     * Turns task events off (Celery's control.disable_events).
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function disableEvents(?array $destination = null, float $timeout = 1.0, ?int $limit = null, bool $reply = true): array
    {
        return $this->control('disable_events', [], $destination, $timeout, $limit, $reply);
    }

    /**
     * Adds $n processes to each worker's pool (Celery's control.pool_grow; prefork pool).
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function poolGrow(int $n = 1, ?array $destination = null, float $timeout = 1.0, ?int $limit = null, bool $reply = true): array
    {
        return $this->control('pool_grow', ['n' => ControlArguments::count('n', $n)], $destination, $timeout, $limit, $reply);
    }

    /**
     * Removes $n processes from each worker's pool (Celery's control.pool_shrink).
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function poolShrink(int $n = 1, ?array $destination = null, float $timeout = 1.0, ?int $limit = null, bool $reply = true): array
    {
        return $this->control('pool_shrink', ['n' => ControlArguments::count('n', $n)], $destination, $timeout, $limit, $reply);
    }

    /**
     * Sets the autoscaler's bounds (Celery's control.autoscale; workers started with
     * --autoscale, others answer with an error).
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function autoscale(
        int $max,
        int $min,
        ?array $destination = null,
        float $timeout = 1.0,
        ?int $limit = null,
        bool $reply = true,
    ): array {
        if ($min > $max) {
            throw InvalidControlCommand::invalid('min', $min, sprintf('expected at most max (%d).', $max), 'Control');
        }
        return $this->control('autoscale', [
            'max' => ControlArguments::count('max', $max),
            'min' => ControlArguments::count('min', $min, 0),
        ], $destination, $timeout, $limit, $reply);
    }

    /**
     * Restarts the workers' pools (Celery's control.pool_restart; workers run with
     * worker_pool_restarts = True, others answer with an error). $modules are imported again,
     * reloaded with $reload.
     *
     * @param list<string>|null $modules
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function poolRestart(
        ?array $modules = null,
        bool $reload = false,
        ?array $destination = null,
        float $timeout = 1.0,
        ?int $limit = null,
        bool $reply = true,
    ): array {
        return $this->control('pool_restart', [
            'modules' => $modules === null ? null : array_map(static fn ($m) => ControlArguments::name('modules', $m), $modules),
            'reload' => $reload,
            'reloader' => null,
        ], $destination, $timeout, $limit, $reply);
    }

    /**
     * Shuts the workers down warmly (Celery's control.shutdown): they finish their running
     * tasks and exit. A worker gone this way does not answer; the reply is usually empty.
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function shutdown(?array $destination = null, float $timeout = 1.0, ?int $limit = null, bool $reply = false): array
    {
        return $this->control('shutdown', [], $destination, $timeout, $limit, $reply);
    }

    /**
     * Makes the workers send a heartbeat event now (Celery's control.heartbeat).
     *
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function heartbeat(?array $destination = null, float $timeout = 1.0, ?int $limit = null, bool $reply = false): array
    {
        return $this->control('heartbeat', [], $destination, $timeout, $limit, $reply);
    }

    /**
     * A control command: with $reply, each worker's ControlReply; without, [] once published.
     *
     * @param array<string, mixed> $arguments
     * @param list<string>|null $destination
     * @return array<string, ControlReply>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    private function control(string $method, array $arguments, ?array $destination, float $timeout, ?int $limit, bool $reply): array
    {
        $command = Broadcast::command($method, $arguments, $destination);
        if (!$reply) {
            $this->tell($command);
            return [];
        }
        $typed = [];
        foreach ($this->ask($command, $timeout, $limit) as $node => $answer) {
            $typed[$node] = ControlReply::fromReply($node, $answer);
        }
        return $typed;
    }
}
