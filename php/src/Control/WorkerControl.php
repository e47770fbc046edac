<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Broker\QueueKeys;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidControlCommand;

/**
 * Broadcasts remote control commands to the workers, as Celery's app.control does, through
 * kombu's pidbox Mailbox (on Redis: RedisMailbox, a PUB/SUB channel every worker listens on;
 * nothing is queued, so a worker that is not connected when a command goes out never hears it).
 *
 * Get it from CeleryClient::control(). Every command of `celery inspect` and `celery control`
 * has a named method: the inspect ones (active(), scheduled(), queryTask(), stats(), ...;
 * InspectCommands) and the control ones (rateLimit(), addConsumer(), poolGrow(), ...;
 * ControlCommands) collect each worker's reply for $timeout seconds, or until $limit workers
 * (by default: every named destination) have answered; revoke(), revokeByStampedHeaders() and
 * election() only tell. inspect() and broadcast() take any command by name, a worker's custom
 * ones included.
 */
final class WorkerControl
{
    use InspectCommands;
    use ControlCommands;

    /** The longest inspect()/ping() timeout: a day. */
    private const LONGEST = 86400;

    private readonly Mailbox $mailbox;

    /**
     * @param RedisConnection|Mailbox $connection the broker connection (the other arguments
     *        then set up its RedisMailbox), or a mailbox of another transport
     * @param QueueKeys $keys the broker's global_keyprefix and sep (kombu's binding separator)
     * @param bool|string $fanoutPrefix kombu's fanout_prefix: true = "/{db}.", false = none, or a custom prefix
     */
    public function __construct(
        RedisConnection|Mailbox $connection,
        string $controlExchange = 'celery',
        QueueKeys $keys = new QueueKeys(),
        bool|string $fanoutPrefix = true,
        bool $fanoutPatterns = true,
    ) {
        $this->mailbox = $connection instanceof Mailbox
            ? $connection
            : new RedisMailbox($connection, $controlExchange, $keys, $fanoutPrefix, $fanoutPatterns);
    }

    /**
     * @internal
     */
    public static function fromConfig(RedisConnection $connection, ClientConfig $config): self
    {
        return new self(
            $connection,
            $config->controlExchange,
            $config->queueKeys(),
            $config->fanoutPrefix,
            $config->fanoutPatterns,
        );
    }

    /** @internal The mailbox exchange name, which also goes in the envelope's delivery_info. */
    public function exchange(): string
    {
        return $this->mailbox->exchange();
    }

    /**
     * @internal The pub/sub channel workers listen on. Reads the connection's database number.
     */
    public function channel(): string
    {
        return $this->redis()->channel();
    }

    /**
     * @internal
     * The PUB/SUB channel of a kombu fanout exchange on Redis: "<global_keyprefix>/<db>.<exchange>",
     * and with fanout_patterns (kombu's default) "/<routing key>" after it, as for events.
     */
    public function fanoutChannel(string $exchange, ?string $routingKey = null): string
    {
        return $this->redis()->fanoutChannel($exchange, $routingKey);
    }

    /**
     * Asks the workers and collects their replies for $timeout seconds, or until $limit
     * workers have answered (Celery's app.control.inspect(); every kind of `celery inspect`:
     * ping, stats, active, scheduled, reserved, revoked, registered, active_queues, report,
     * clock, conf, query_task, memsample, memdump, objgraph). $arguments are laid over the ones
     * Celery sends by default (Broadcast::INSPECT), e.g. ['ids' => [...]] for query_task.
     *
     * The command goes out with a ticket and the workers answer on a reply queue of their
     * own (Mailbox::ask()). With a destination and no limit, it returns as soon as every named
     * worker has answered.
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
        return $this->ask(Broadcast::inspect($method, $destination, arguments: $arguments), $timeout, $limit);
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
        $command = Broadcast::command($command, $arguments, $destination);
        return $reply ? $this->ask($command, $timeout, $limit) : $this->tell($command);
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
     * Celery's control.election(id, topic, action): a leader election among the workers (used
     * by Celery's own components); no reply, sent to every worker.
     *
     * @return int how many connections heard it
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function election(string $id, string $topic, ?string $action = null): int
    {
        return $this->tell(Broadcast::command('election', [
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
        return $this->tell(Broadcast::revoke($taskIds, $terminate, $signal, $destination));
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
        return $this->tell(Broadcast::revokeByStampedHeaders($headers, $terminate, $signal, $destination));
    }

    /**
     * @throws ConnectionFailed
     */
    private function tell(Broadcast $command): int
    {
        return $this->mailbox->tell($command);
    }

    /**
     * Collects the replies to $command for $timeout seconds or until $limit workers (by
     * default: every named destination) have answered. The command was checked when built and
     * the wait is checked here, both before the mailbox makes its reply queue.
     *
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    private function ask(Broadcast $command, float $timeout, ?int $limit): array
    {
        $limit = self::checkWait($timeout, $limit ?? count($command->destination ?? []));
        return $this->mailbox->ask($command, $timeout, $limit);
    }

    /**
     * @throws InvalidControlCommand
     */
    private static function checkWait(float $timeout, int $limit): int
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
        return $limit;
    }

    /**
     * @throws \LogicException when the mailbox is not Redis's: fanout channels are Redis names
     */
    private function redis(): RedisMailbox
    {
        return $this->mailbox instanceof RedisMailbox
            ? $this->mailbox
            : throw new \LogicException('The PUB/SUB channels of fanout exchanges exist on a Redis broker only.');
    }
}
