<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Broker\QueueKeys;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidControlCommand;
use CeleryBridge\Wire\Uuid;

/**
 * Broadcasts remote control commands to the workers, as Celery's app.control does on Redis.
 *
 * Every worker PSUBSCRIBEs the mailbox channel "<fanout prefix><control_exchange>.pidbox",
 * where the fanout prefix is "/<db>." by default (kombu's fanout_prefix transport option) and
 * the broker's global_keyprefix comes in front of it. Nothing is queued: a worker that is not
 * connected when the command is published never hears it.
 *
 * Get it from CeleryClient::control(). Every command of `celery inspect` and `celery control`
 * has a named method: the inspect ones (active(), scheduled(), queryTask(), stats(), ...) and
 * the control ones (rateLimit(), addConsumer(), poolGrow(), ...) collect each worker's reply
 * for $timeout seconds, or until $limit workers (by default: every named destination) have
 * answered; revoke(), revokeByStampedHeaders() and election() only tell. inspect() and
 * broadcast() take any command by name, a worker's custom ones included.
 */
final class WorkerControl
{
    /** The longest inspect()/ping() timeout: a day. */
    private const LONGEST = 86400;

    /** Lamport clock of this publisher, like the mailbox clock of a fresh Python app. */
    private int $clock = 0;

    /**
     * @param QueueKeys $keys the broker's global_keyprefix and sep (kombu's binding separator)
     * @param bool|string $fanoutPrefix kombu's fanout_prefix: true = "/{db}.", false = none, or a custom prefix
     */
    public function __construct(
        private readonly RedisConnection $connection,
        private readonly string $controlExchange = 'celery',
        private readonly QueueKeys $keys = new QueueKeys(),
        private readonly bool|string $fanoutPrefix = true,
        private readonly bool $fanoutPatterns = true,
    ) {
    }

    /**
     * @internal
     */
    public static function fromConfig(RedisConnection $connection, ClientConfig $config): self
    {
        return new self(
            $connection,
            $config->controlExchange,
            $config->queueKeys,
            $config->fanoutPrefix,
            $config->fanoutPatterns,
        );
    }

    /** @internal The mailbox exchange name, which also goes in the envelope's delivery_info. */
    public function exchange(): string
    {
        return $this->controlExchange . '.pidbox';
    }

    /**
     * @internal The pub/sub channel workers listen on. Reads the connection's database number.
     */
    public function channel(): string
    {
        return $this->fanoutChannel($this->exchange());
    }

    /**
     * @internal
     * The PUB/SUB channel of a kombu fanout exchange on Redis: "<global_keyprefix>/<db>.<exchange>",
     * and with fanout_patterns (kombu's default) "/<routing key>" after it, as for events.
     */
    public function fanoutChannel(string $exchange, ?string $routingKey = null): string
    {
        $prefix = match (true) {
            $this->fanoutPrefix === true => '/{db}.',
            $this->fanoutPrefix === false => '',
            default => $this->fanoutPrefix,
        };
        // kombu fills in {db} once it knows the connection's database.
        $prefix = str_replace('{db}', (string) $this->connection->database(), $prefix);
        $suffix = $routingKey !== null && $this->fanoutPatterns ? '/' . $routingKey : '';
        return $this->keys->key($prefix . $exchange . $suffix);
    }

    /**
     * Asks the workers and collects their replies for $timeout seconds, or until $limit
     * workers have answered (Celery's app.control.inspect(); every kind of `celery inspect`:
     * ping, stats, active, scheduled, reserved, revoked, registered, active_queues, report,
     * clock, conf, query_task, memsample, memdump, objgraph). $arguments are laid over the ones
     * Celery sends by default (Broadcast::INSPECT), e.g. ['ids' => [...]] for query_task.
     *
     * As kombu's pidbox does on Redis: the command is PUBLISHed with a ticket and the workers
     * answer on a reply queue (ReplyQueue) that this client BRPOPs, then removes. With a
     * destination and no limit, it returns as soon as every named worker has answered.
     *
     * @param list<string>|null $destination only these workers ("celery@host")
     * @param array<string, mixed> $arguments
     * @return array<string, mixed> node name => its reply, in the order they came
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function inspect(
        string $method,
        float $timeout = 1.0,
        ?array $destination = null,
        ?int $limit = null,
        array $arguments = [],
    ): array {
        return $this->ask(
            static fn (array $r) => Broadcast::inspect($method, $destination, $r[0], $r[1], $r[2], $arguments),
            $timeout,
            $limit ?? count($destination ?? []),
        );
    }

    /**
     * Any command, as Celery's app.control.broadcast(): a built-in one or one registered on
     * the workers with @control_command / @inspect_command. Without $reply it returns at once
     * with how many connections heard it (PUBLISH's count); with $reply, the workers' replies
     * collected as inspect() collects them.
     *
     * @param array<string, mixed> $arguments the command's keyword arguments
     * @param list<string>|null $destination
     * @return int|array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function broadcast(
        string $command,
        array $arguments = [],
        ?array $destination = null,
        bool $reply = false,
        float $timeout = 1.0,
        ?int $limit = null,
    ): int|array {
        if (!$reply) {
            return $this->publish(Broadcast::command($command, $arguments, $destination));
        }
        return $this->ask(
            static fn (array $ticket) => Broadcast::command($command, $arguments, $destination, $ticket),
            $timeout,
            $limit ?? count($destination ?? []),
        );
    }

    /**
     * Which workers answer within $timeout (Celery's inspect().ping()): node name => ["ok" => "pong"].
     *
     * @param list<string>|null $destination
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function ping(float $timeout = 1.0, ?array $destination = null): array
    {
        return $this->inspect('ping', $timeout, $destination);
    }

    /**
     * What each worker is running (inspect active), as typed entries: id, name, args and their
     * repr, the worker, when it started. $safe asks for the reprs the messages carried instead
     * of the values (Celery's active(safe=True)).
     *
     * @param list<string>|null $destination
     * @return array<string, list<TaskInfo>> node => its tasks
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function active(float $timeout = 1.0, ?array $destination = null, ?int $limit = null, ?bool $safe = null): array
    {
        return self::tasks($this->inspect('active', $timeout, $destination, $limit, ['safe' => $safe]));
    }

    /**
     * Tasks each worker has prefetched and not started (inspect reserved).
     *
     * @param list<string>|null $destination
     * @return array<string, list<TaskInfo>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function reserved(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return self::tasks($this->inspect('reserved', $timeout, $destination, $limit));
    }

    /**
     * Tasks each worker holds until their eta / countdown (inspect scheduled), with eta and priority.
     *
     * @param list<string>|null $destination
     * @return array<string, list<TaskInfo>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function scheduled(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return self::tasks($this->inspect('scheduled', $timeout, $destination, $limit));
    }

    /**
     * Where each worker has these tasks (inspect query_task): node => task id => [state, info],
     * state one of "active", "reserved", "scheduled", "ready". Unknown ids are left out.
     *
     * @param list<string> $taskIds
     * @param list<string>|null $destination
     * @return array<string, array<string, array{string, TaskInfo}>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function queryTask(array $taskIds, float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        $found = [];
        foreach ($this->inspect('query_task', $timeout, $destination, $limit, ['ids' => $taskIds]) as $node => $tasks) {
            $found[$node] = [];
            foreach (is_array($tasks) ? $tasks : [] as $id => $entry) {
                if (is_array($entry) && is_string($entry[0] ?? null) && is_array($entry[1] ?? null)) {
                    $found[$node][(string) $id] = [$entry[0], TaskInfo::fromReply($node, $entry[1])];
                }
            }
        }
        return $found;
    }

    /**
     * The ids each worker remembers as revoked (inspect revoked).
     *
     * @param list<string>|null $destination
     * @return array<string, list<string>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function revoked(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(self::strings(...), $this->inspect('revoked', $timeout, $destination, $limit));
    }

    /**
     * The task names each worker knows (inspect registered); $items adds attributes to each name
     * as Celery's registered("rate_limit", ...) does ("tasks.add [rate_limit=10/m]").
     *
     * @param list<string> $items
     * @param list<string>|null $destination
     * @return array<string, list<string>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function registered(array $items = [], float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        $replies = $this->inspect('registered', $timeout, $destination, $limit, ['taskinfoitems' => $items]);
        return array_map(self::strings(...), $replies);
    }

    /**
     * Each worker's Lamport clock (inspect clock).
     *
     * @param list<string>|null $destination
     * @return array<string, int>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function clock(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(
            static fn (mixed $r): int => is_array($r) && is_int($r['clock'] ?? null) ? $r['clock'] : 0,
            $this->inspect('clock', $timeout, $destination, $limit),
        );
    }

    /**
     * Celery's worker statistics (inspect stats): pid, pool, broker, total tasks, rusage, ...
     *
     * @param list<string>|null $destination
     * @return array<string, array<string, mixed>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function stats(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(self::map(...), $this->inspect('stats', $timeout, $destination, $limit));
    }

    /**
     * The queues each worker consumes (inspect active_queues): name, exchange, routing_key, ...
     *
     * @param list<string>|null $destination
     * @return array<string, list<array<string, mixed>>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function activeQueues(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(
            static fn (mixed $r): array => array_values(array_filter(is_array($r) ? $r : [], 'is_array')),
            $this->inspect('active_queues', $timeout, $destination, $limit),
        );
    }

    /**
     * Each worker's configuration (inspect conf): the settings changed from Celery's defaults,
     * or every setting with $withDefaults.
     *
     * @param list<string>|null $destination
     * @return array<string, array<string, mixed>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function conf(bool $withDefaults = false, float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(self::map(...), $this->inspect('conf', $timeout, $destination, $limit, ['with_defaults' => $withDefaults]));
    }

    /**
     * Each worker's bug report text (inspect report: Celery, kombu and Python versions, settings).
     *
     * @param list<string>|null $destination
     * @return array<string, string>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function report(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(
            static fn (mixed $r): string => is_array($r) && is_string($r['ok'] ?? null) ? $r['ok'] : '',
            $this->inspect('report', $timeout, $destination, $limit),
        );
    }

    /**
     * Memory debugging, as `celery inspect memsample|memdump|objgraph`: each worker's reply as
     * it sent it. memsample reads the RSS (needs psutil on the worker), memdump the samples
     * taken so far, objgraph writes a graph of $type objects to a file and answers its name
     * (needs the objgraph library; without it the worker answers
     * {"error": "ImportError('Requires the objgraph library')"}).
     *
     * @param list<string>|null $destination
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function memsample(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return $this->inspect('memsample', $timeout, $destination, $limit);
    }

    /**
     * @param list<string>|null $destination
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     * @see memsample()
     */
    public function memdump(int $samples = 10, float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return $this->inspect('memdump', $timeout, $destination, $limit, ['samples' => ControlArguments::count('samples', $samples)]);
    }

    /**
     * @param list<string>|null $destination
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     * @see memsample()
     */
    public function objgraph(
        string $type = 'Request',
        int $num = 200,
        int $maxDepth = 10,
        float $timeout = 60.0,
        ?array $destination = null,
        ?int $limit = null,
    ): array {
        return $this->inspect('objgraph', $timeout, $destination, $limit, [
            'num' => ControlArguments::count('num', $num),
            'max_depth' => ControlArguments::count('max_depth', $maxDepth),
            'type' => ControlArguments::name('type', $type),
        ]);
    }

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
     * Celery's control.election(id, topic, action): a leader election among the workers (used
     * by Celery's own components); no reply, sent to every worker.
     *
     * @return int how many connections heard it
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function election(string $id, string $topic, ?string $action = null): int
    {
        return $this->publish(Broadcast::command('election', [
            'id' => ControlArguments::name('id', $id),
            'topic' => ControlArguments::name('topic', $topic),
            'action' => $action,
        ], null));
    }

    /**
     * Tells the workers to discard these tasks (Celery's app.control.revoke()).
     *
     * @param string|list<string> $taskIds
     * @param list<string>|null $destination node names ("celery@host"); null = every worker
     * @return int how many connections heard the broadcast (PUBLISH's count); 0 means no worker did
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function revoke(
        string|array $taskIds,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int {
        return $this->publish(Broadcast::revoke($taskIds, $terminate, $signal, $destination));
    }

    /**
     * Tells the workers to discard the tasks stamped with these values (Celery 5.3+'s
     * app.control.revoke_by_stamped_headers()).
     *
     * @param array<string, string|list<string>> $headers stamp name => value(s)
     * @param list<string>|null $destination
     * @return int how many connections heard the broadcast
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function revokeByStampedHeaders(
        array $headers,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int {
        return $this->publish(Broadcast::revokeByStampedHeaders($headers, $terminate, $signal, $destination));
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
        if (!$reply) {
            $this->publish(Broadcast::command($method, $arguments, $destination));
            return [];
        }
        $replies = $this->broadcast($method, $arguments, $destination, true, $timeout, $limit);
        $typed = [];
        foreach (is_array($replies) ? $replies : [] as $node => $answer) {
            $typed[$node] = ControlReply::fromReply($node, $answer);
        }
        return $typed;
    }

    /**
     * @param array<string, mixed> $replies
     * @return array<string, list<TaskInfo>>
     */
    private static function tasks(array $replies): array
    {
        $typed = [];
        foreach ($replies as $node => $entries) {
            $typed[$node] = [];
            foreach (is_array($entries) ? $entries : [] as $entry) {
                if (is_array($entry)) {
                    $typed[$node][] = TaskInfo::fromReply($node, $entry);
                }
            }
        }
        return $typed;
    }

    /**
     * @return list<string>
     */
    private static function strings(mixed $reply): array
    {
        return array_values(array_filter(is_array($reply) ? $reply : [], 'is_string'));
    }

    /**
     * @return array<string, mixed>
     */
    private static function map(mixed $reply): array
    {
        return is_array($reply) && !array_is_list($reply) ? $reply : [];
    }

    /**
     * @param \Closure(array{string, string, string}): Broadcast $command made with the ticket and reply queue
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    private function ask(\Closure $command, float $timeout, int $limit): array
    {
        if (!is_finite($timeout) || $timeout <= 0 || $timeout > self::LONGEST) {
            throw InvalidControlCommand::invalid('timeout', $timeout, sprintf(
                'expected a positive number of seconds, at most %d (the replies are collected for that long).',
                self::LONGEST,
            ), 'Control');
        }
        if ($limit < 0) {
            throw InvalidControlCommand::invalid('limit', $limit, 'expected how many replies to wait for (0: no limit).', 'Control');
        }
        // Built (and validated) before the reply queue exists: a bad command writes nothing.
        $probe = $command(['', '', '']);
        unset($probe);
        // Every command of the call (the reply binding, the broadcast, the waits, the clean-up)
        // ends by the deadline. The collection stops a little early to leave the clean-up its time.
        $deadline = Clock::now() + $timeout;
        $cleanUp = min(0.2, $timeout / 10);
        return $this->connection->withDeadline($deadline, function () use ($command, $limit, $deadline, $cleanUp): array {
            $replies = new ReplyQueue($this->connection, $this->keys, 'reply.' . $this->exchange());
            try {
                $this->publish($command([$replies->ticket, $replies->exchange, $replies->routingKey]));
                return $replies->collect($deadline - $cleanUp, $limit);
            } finally {
                $replies->close();
            }
        });
    }

    /**
     * @throws ConnectionFailed
     */
    private function publish(Broadcast $command): int
    {
        // Python's mailbox sends expires = now + the reply timeout (1 s by default); workers
        // only look at it on replies, so it is informational here.
        $envelope = $command->toEnvelope($this->exchange(), ++$this->clock, microtime(true) + 1.0, Uuid::v4());
        return $this->connection->publish($this->channel(), $envelope);
    }
}
