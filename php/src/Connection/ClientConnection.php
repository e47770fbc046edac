<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionTimedOut;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function count;
use function hrtime;
use function min;

/**
 * What a RedisConnection does the same over any client library: connect on first use, walk the
 * failover list or ask Sentinel for the master, check that the server is a master, send a
 * command once more after a reused socket broke, and close. The subclasses (phpredis, Predis)
 * only open sockets and run commands.
 *
 * @internal
 */
abstract class ClientConnection implements RedisConnection
{
    /**
     * The client library's object, wrapped: a Predis client carries the password in its
     * parameters, and var_export() or print_r() of anything holding it must not show it.
     */
    protected ?\SensitiveParameterValue $handle = null;
    protected ?Endpoint $current = null;
    /** Built around a client the caller connected: it uses that client as it is and never closes it. */
    protected bool $injected = false;
    /** Absolute (Clock::now()) time by which the current withDeadline() call must end. */
    protected ?float $deadline = null;
    /** The BRPOP timeouts the server takes (remote control's replies), from the first brPop() on. */
    private ?BrPopTimeout $brPopTimeout = null;

    protected function __construct(
        protected readonly Topology $topology,
        protected readonly ConnectionOptions $options,
        #[\SensitiveParameter] ?object $client,
        ?Endpoint $current,
    ) {
        // (A connection that opens its own sockets, a PHP-FPM request's, writes none of these.)
        if ($client !== null) {
            $this->injected = true;
            $this->handle = new \SensitiveParameterValue($client);
            $this->current = $current;
        }
    }

    /**
     * A connection on a client the application connected, which it uses as it is and never closes.
     */
    public static function injected(#[\SensitiveParameter] object $client, Endpoint $endpoint): static
    {
        return new static(Topology::single($endpoint), ConnectionOptions::defaults(), $client, $endpoint);
    }

    /**
     * Connects (and authenticates, selects the database) on one server; SentinelMaster opens
     * its sentinels with it.
     *
     * @throws ConnectionFailed
     */
    abstract public function openOn(Endpoint $endpoint, bool $persistent): object;

    /**
     * Runs a command, throwing Failure::reply() for an error reply; a failure of the socket is
     * left as the client library's own exception (see isSocketFailure()).
     */
    abstract protected function execute(
        #[\SensitiveParameter] object $client,
        Endpoint $endpoint,
        #[\SensitiveParameter] \Closure $call,
    ): mixed;

    abstract protected function isSocketFailure(\Throwable $e): bool;

    /**
     * Runs a raw command while connecting (ROLE, SENTINEL ...), every failure as ours.
     *
     * @param list<string> $command
     * @throws ConnectionFailed
     */
    abstract public function raw(#[\SensitiveParameter] object $client, Endpoint $endpoint, array $command): mixed;

    abstract public function disconnect(#[\SensitiveParameter] object $client): void;

    /** Sets how long the client waits for a reply on its open socket. */
    abstract protected function setReadTimeout(#[\SensitiveParameter] object $client, float $seconds): void;

    protected function client(): ?object
    {
        return $this->handle?->getValue();
    }

    protected function setClient(#[\SensitiveParameter] ?object $client): ?object
    {
        $this->handle = $client === null ? null : new \SensitiveParameterValue($client);
        return $client;
    }

    public function withDeadline(?float $deadline, #[\SensitiveParameter] \Closure $call): mixed
    {
        $outer = $this->deadline;
        $this->deadline = $deadline === null ? $outer : min($deadline, $outer ?? INF);
        try {
            return $call();
        } finally {
            $this->deadline = $outer;
        }
    }

    public function transaction(array $writes): void
    {
        $commands = TransactionWrites::merged($writes);
        $replies = $this->run('MULTI', fn (object $client) => $this->inOneRoundTrip($client, $commands));
        TransactionWrites::check($replies, count($commands), $this->describe());
    }

    public function brPop(array $keys, float $seconds): ?array
    {
        return ($this->brPopTimeout ??= new BrPopTimeout())->pop($seconds, fn (string $timeout): mixed => $this->run(
            'BRPOP',
            fn (object $client) => $this->blockingPop($client, $keys, $timeout),
            false,
            (float) $timeout,
        ));
    }

    /**
     * BRPOP $keys $timeout; returns the client's reply ([key, value], or an empty one).
     *
     * @param list<string> $keys
     */
    abstract protected function blockingPop(#[\SensitiveParameter] object $client, array $keys, string $timeout): mixed;

    /**
     * MULTI, the commands (writes, or LLEN and DEL for a purge) and EXEC, pipelined (one round
     * trip); returns EXEC's replies. An LPUSH may carry several values: ['LPUSH', key, value, ...].
     *
     * @param non-empty-list<array<int, string|int>> $writes
     */
    abstract protected function inOneRoundTrip(#[\SensitiveParameter] object $client, array $writes): mixed;

    public function purgeLists(array $keys): int
    {
        if ($keys === []) {
            return 0;
        }
        $commands = TransactionWrites::purging($keys);
        return TransactionWrites::purged($this->run('MULTI', fn (object $client) => $this->inOneRoundTrip($client, $commands)));
    }

    public function ensureConnected(): bool
    {
        if ($this->handle !== null) {
            return false;
        }
        // (open(), without the call: every request that publishes comes here once.)
        [$client, $this->current] = $this->topology->open($this, $this->options, $this->deadline);
        $this->handle = new \SensitiveParameterValue($client);
        return !$this->options->persistent || $this->poolChecksLiveness();
    }

    /**
     * Whether the client library proves a pooled persistent socket alive when it hands it out,
     * so that a socket the server closed meanwhile is replaced before anything is written.
     */
    protected function poolChecksLiveness(): bool
    {
        return false;
    }

    public function ping(): void
    {
        $this->run('PING', static fn (object $client) => $client->ping(), true);
    }

    public function database(): int
    {
        return $this->current?->database ?? $this->topology->database;
    }

    public function describe(): string
    {
        return $this->current?->describe() ?? $this->topology->describe();
    }

    /**
     * The server this connection talks to (with the client_name its other connections, such as
     * the result wait's, give themselves).
     */
    public function endpoint(): Endpoint
    {
        if ($this->current === null && ($this->topology->isSentinel() || count($this->topology->endpoints) !== 1)) {
            $this->connection();
        }
        return ($this->current ?? $this->topology->endpoints[0])->withClientName($this->options->clientName);
    }

    public function close(): void
    {
        if ($this->options->persistent && !$this->injected) {
            // Closing would end the persistent socket too; leave it to the next request.
            $this->setClient(null);
            $this->current = null;
            return;
        }
        $this->drop();
    }

    protected function drop(): void
    {
        if ($this->injected) {
            // Both libraries reconnect a client they marked broken on its next command.
            return;
        }
        if ($this->client() !== null) {
            $this->disconnect($this->client());
        }
        $this->setClient(null);
        $this->current = null;
    }

    /** The connected client, opening it on first use. */
    protected function connection(): object
    {
        return $this->handle?->getValue() ?? $this->open();
    }

    /**
     * Whether the client is a socket opened earlier (whose breaking may be the server having
     * gone away since, not this command).
     */
    protected function isReused(): bool
    {
        return $this->handle !== null;
    }

    /**
     * Runs one command. A command that may safely run twice (all but those in Failure::ONCE) is sent
     * once more on a new connection when a reused one turns out to be broken (the server
     * restarted, Sentinel disconnected us); a timeout is never repeated.
     *
     * @param int|null $started hrtime() when the command was sent, and $sentOn the client it
     *        was sent on: a subclass's lPush() sends LPUSH itself and, when that fails, passes a
     *        $call that rethrows the failure (the socket is not checked or replaced first: that
     *        could turn a write that may have run into a refused connection)
     */
    protected function run(
        string $command,
        #[\SensitiveParameter] \Closure $call,
        bool $handshake = false,
        ?float $blocks = null,
        ?int $started = null,
        #[\SensitiveParameter] ?object $sentOn = null,
    ): mixed {
        $reused = $sentOn !== null || $this->isReused();
        $client = $sentOn ?? $this->connection();
        $normal = $this->current ?? $this->topology->endpoints[0];
        $socket = $blocks === null ? $normal : $normal->forBlocking($blocks);
        // (bounded() without a call when no deadline is set: this runs for every command.)
        $endpoint = $this->deadline === null ? $socket : $socket->boundedBy($this->deadline, $command);
        if ($endpoint !== $normal) {
            $this->setReadTimeout($client, $endpoint->readTimeout);
        }
        // Clock::now()'s source (hrtime), read directly: this runs for every command.
        $start = $started ?? hrtime(true);
        try {
            return $this->execute($client, $endpoint, $call);
        } catch (\Throwable $e) {
            if (!$this->isSocketFailure($e)) {
                throw $e;
            }
            $this->drop();
            $failure = Failure::ofCommand($endpoint, $endpoint !== $socket, $command, $e, (hrtime(true) - $start) / 1e9, $handshake);
            if ($reused && Failure::resendable($command, $failure)) {
                return $this->run($command, $call, $handshake, $blocks);
            }
            throw $failure;
        } finally {
            // Back to the socket's own timeout, unless the socket was dropped on the way.
            if ($endpoint !== $normal && $this->client() === $client) {
                $this->setReadTimeout($client, $normal->readTimeout);
            }
        }
    }

    /**
     * @throws ConnectionFailed no server of the failover list (or the master Sentinel names) answered
     */
    protected function open(): object
    {
        [$client, $this->current] = $this->topology->open($this, $this->options, $this->deadline);
        $this->handle = new \SensitiveParameterValue($client);
        return $client;
    }
}
