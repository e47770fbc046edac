<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\ReadOnlyReplica;

/**
 * RedisConnection over Predis (1.1 to 3.x), for hosts without the phpredis extension.
 *
 * Built from a URL it connects on first use (constructing does no I/O), follows the failover
 * list or asks Sentinel, and reconnects after a failure. Built around a Predis client the
 * caller configured, it uses that client as it is and never disconnects it.
 *
 * @internal
 */
final class PredisConnection implements RedisConnection
{
    private ?\Predis\ClientInterface $client;
    private ?Endpoint $current;

    /**
     * Commands that must not be sent twice: a task or a broadcast could arrive twice, and a
     * purge run again would report 0.
     */
    private const ONCE = ['LPUSH', 'PUBLISH', 'MULTI'];

    private function __construct(
        private readonly Topology $topology,
        private readonly ConnectionOptions $options,
        private readonly bool $injected,
        ?\Predis\ClientInterface $client,
        ?Endpoint $current,
    ) {
        $this->client = $client;
        $this->current = $current;
    }

    public static function fromDsn(Dsn $dsn, ?ConnectionOptions $options = null): self
    {
        $options ??= ConnectionOptions::defaults($dsn->role);
        return self::fromTopology(Topology::fromDsn($dsn, $options), $options);
    }

    public static function fromTopology(Topology $topology, ConnectionOptions $options): self
    {
        if (!self::available()) {
            throw InvalidConfiguration::invalid(
                'redis_client',
                ConnectionOptions::CLIENT_PREDIS,
                'Predis is not installed or not autoloaded (class Predis\Client not found): composer require predis/predis.',
            );
        }
        return new self($topology, $options, false, null, null);
    }

    public static function available(): bool
    {
        return class_exists(\Predis\Client::class);
    }

    /**
     * Uses a Predis client the caller configured (a single server, or Predis' own replication
     * or Sentinel setup, whose writes go to the master).
     */
    public static function fromClient(\Predis\ClientInterface $client): self
    {
        $connection = $client->getConnection();
        $clusterInterfaces = ['Predis\Connection\Aggregate\ClusterInterface', 'Predis\Connection\Cluster\ClusterInterface'];
        foreach ($clusterInterfaces as $interface) {
            if ($connection instanceof $interface) {
                throw InvalidConfiguration::invalid('broker', $client, self::clusterRefusal());
            }
        }
        $options = $client->getOptions();
        $prefix = isset($options->prefix) ? $options->prefix : null;
        if ($prefix !== null) {
            $text = is_object($prefix) && method_exists($prefix, 'getPrefix') ? (string) $prefix->getPrefix() : 'set';
            throw InvalidConfiguration::invalid(
                'broker',
                $client,
                sprintf('the Predis client has the option prefix "%s"; Celery workers would not find the prefixed '
                    . 'keys. Drop it and set broker_transport_options global_keyprefix instead, as on the workers.', $text),
            );
        }
        $endpoint = self::endpointOf($client);
        return new self(Topology::single($endpoint), ConnectionOptions::defaults(), true, $client, $endpoint);
    }

    public static function clusterRefusal(): string
    {
        return 'Redis Cluster cannot be a Celery broker or result backend: kombu\'s Redis transport needs '
            . 'all queues, bindings and pub/sub channels of one keyspace on one server, and Celery does not '
            . 'support it either. Use a standalone Redis, or Sentinel (sentinel://...) for failover.';
    }

    public function lPush(string $key, string $value): int
    {
        return (int) $this->run('LPUSH', static fn (\Predis\ClientInterface $c) => $c->lpush($key, [$value]));
    }

    public function publish(string $channel, string $message): int
    {
        return (int) $this->run('PUBLISH', static fn (\Predis\ClientInterface $c) => $c->publish($channel, $message));
    }

    public function get(string $key): ?string
    {
        $value = $this->run('GET', static fn (\Predis\ClientInterface $c) => $c->get($key));
        return is_string($value) ? $value : null;
    }

    public function mGet(array $keys): array
    {
        if ($keys === []) {
            return [];
        }
        $values = $this->run('MGET', static fn (\Predis\ClientInterface $c) => $c->mget($keys));
        return array_map(static fn ($v) => is_string($v) ? $v : null, array_values((array) $values));
    }

    public function set(string $key, string $value, ?int $ttlSeconds = null): void
    {
        $this->run(
            $ttlSeconds === null ? 'SET' : 'SETEX',
            static fn (\Predis\ClientInterface $c) => $ttlSeconds === null ? $c->set($key, $value) : $c->setex($key, $ttlSeconds, $value),
        );
    }

    public function del(string ...$keys): int
    {
        return $keys === [] ? 0 : (int) $this->run('DEL', static fn (\Predis\ClientInterface $c) => $c->del($keys));
    }

    public function lLen(string $key): int
    {
        return (int) $this->run('LLEN', static fn (\Predis\ClientInterface $c) => $c->llen($key));
    }

    public function purgeLists(array $keys): int
    {
        $replies = $this->run('MULTI', static fn (\Predis\ClientInterface $c) => $c->transaction(
            static function ($transaction) use ($keys): void {
                foreach ($keys as $key) {
                    $transaction->llen($key);
                    $transaction->del([$key]);
                }
            },
        ));
        return array_sum(array_map('intval', array_filter((array) $replies, static fn ($i) => $i % 2 === 0, ARRAY_FILTER_USE_KEY)));
    }

    public function sMembers(string $key): array
    {
        $members = $this->run('SMEMBERS', static fn (\Predis\ClientInterface $c) => $c->smembers($key));
        return array_values(array_map('strval', (array) $members));
    }

    public function ping(): void
    {
        $this->run('PING', static fn (\Predis\ClientInterface $c) => $c->ping(), true);
    }

    public function database(): int
    {
        return $this->current?->database ?? $this->topology->database;
    }

    public function describe(): string
    {
        return $this->current?->describe() ?? $this->topology->describe();
    }

    public function endpoint(): Endpoint
    {
        if ($this->current !== null) {
            return $this->current;
        }
        if (!$this->topology->isSentinel() && count($this->topology->endpoints) === 1) {
            return $this->topology->endpoints[0];
        }
        $this->connection();
        return $this->current ?? throw new \LogicException('Connected without an endpoint.');
    }

    public function close(): void
    {
        if ($this->injected) {
            return;
        }
        if ($this->options->persistent) {
            // Closing would end the persistent socket too; leave it to the next request.
            $this->client = null;
            $this->current = null;
            return;
        }
        $this->drop();
    }

    private function drop(): void
    {
        if ($this->injected) {
            // Predis drops a broken socket itself and reconnects on the next command.
            return;
        }
        if ($this->client !== null) {
            try {
                $this->client->disconnect();
            } catch (\Throwable) {
                // Closing a broken socket: nothing to release.
            }
        }
        $this->client = null;
        $this->current = null;
    }

    /**
     * Runs one command. A command that may safely run twice (all but those in ONCE) is sent
     * once more on a new connection when a reused one turns out to be broken (the server
     * restarted, Sentinel disconnected us); a timeout is never repeated.
     */
    private function run(string $command, \Closure $call, bool $handshake = false): mixed
    {
        $reused = $this->client !== null && $this->client->isConnected();
        $client = $this->connection();
        $endpoint = $this->current ?? $this->topology->endpoints[0];
        $start = microtime(true);
        try {
            $result = $call($client);
        } catch (\Predis\Response\ServerException $e) {
            throw Failure::reply($endpoint, $e->getMessage(), $e);
        } catch (\Predis\CommunicationException $e) {
            $this->drop();
            $failure = Failure::afterSending($endpoint, $command, $e->getMessage(), microtime(true) - $start, $handshake, $e);
            if ($reused && !in_array($command, self::ONCE, true) && $failure instanceof ConnectionLost && !$failure->timedOut()) {
                return $this->run($command, $call, $handshake);
            }
            throw $failure;
        }
        if ($result instanceof \Predis\Response\ErrorInterface) {
            throw Failure::reply($endpoint, $result->getMessage());
        }
        return $result;
    }

    private function connection(): \Predis\ClientInterface
    {
        if ($this->client === null) {
            return $this->open();
        }
        if ($this->client->isConnected() && self::closedByServer($this->client)) {
            // The server hung up while we were idle (restart, failover, `timeout`): without this,
            // Predis would write the next command into the dead socket.
            if ($this->injected) {
                $this->client->disconnect();
            } else {
                $this->drop();
                return $this->open();
            }
        }
        if (!$this->client->isConnected()) {
            // An injected client, or ours after Predis dropped a broken socket.
            $this->connect($this->client, $this->current ?? $this->topology->endpoints[0]);
        }
        return $this->client;
    }

    /**
     * feof() on a socket stream is PHP's non-blocking liveness check (what phpredis runs before
     * every command): true once the peer has closed its end.
     */
    private static function closedByServer(\Predis\ClientInterface $client): bool
    {
        $connection = $client->getConnection();
        if (!method_exists($connection, 'getResource') || !method_exists($connection, 'isConnected') || !$connection->isConnected()) {
            return false;
        }
        $resource = $connection->getResource();
        return is_resource($resource) && feof($resource);
    }

    private function open(): \Predis\ClientInterface
    {
        $candidates = $this->topology->isSentinel()
            ? [$this->topology->resolveMaster(fn (Endpoint $sentinel, array $command) => $this->askSentinel($sentinel, $command))]
            : $this->topology->endpoints;
        $failures = [];
        foreach ($candidates as $endpoint) {
            $client = new \Predis\Client(self::parameters($endpoint, $this->options->persistent), ['exceptions' => true]);
            try {
                $this->connect($client, $endpoint);
                if ($this->topology->isSentinel()) {
                    $this->checkMaster($client, $endpoint);
                }
            } catch (ConnectionFailed $e) {
                $failures[] = $e;
                continue;
            }
            $this->current = $endpoint;
            return $this->client = $client;
        }
        throw Connector::firstFailure($failures);
    }

    /**
     * Predis runs AUTH and SELECT inside connect(); a reply to them comes back as
     * "`AUTH` failed: <reply>", an I/O failure while waiting for it as a read error.
     *
     * @throws ConnectionFailed
     */
    private function connect(\Predis\ClientInterface $client, Endpoint $endpoint): void
    {
        $warnings = [];
        set_error_handler(static function (int $level, string $message) use (&$warnings): bool {
            $warnings[] = $message;
            return true;
        });
        $start = microtime(true);
        try {
            $client->connect();
        } catch (\Predis\CommunicationException $e) {
            try {
                $client->disconnect();
            } catch (\Throwable) {
                // Nothing to release.
            }
            $message = Failure::clean($e->getMessage());
            if (preg_match('#^`([A-Z]+)` failed: (.*)$#s', $message, $m) === 1) {
                throw Failure::reply($endpoint, $m[2], $e);
            }
            if (str_starts_with($message, 'Error while reading') || str_starts_with($message, 'Error while writing')) {
                $command = $endpoint->password !== null ? 'AUTH' : 'SELECT';
                throw Failure::afterSending($endpoint, $command, $message, microtime(true) - $start, true, $e);
            }
            throw Failure::connecting($endpoint, $message, $warnings, $e);
        } finally {
            restore_error_handler();
        }
    }

    private function checkMaster(\Predis\ClientInterface $client, Endpoint $endpoint): void
    {
        $role = $this->raw($client, $endpoint, ['ROLE']);
        $name = is_array($role) ? (string) ($role[0] ?? '') : '';
        if ($name !== 'master') {
            $client->disconnect();
            throw ReadOnlyReplica::roleIs($endpoint->describe(), $name);
        }
    }

    /**
     * @param list<string> $command
     */
    private function askSentinel(Endpoint $sentinel, array $command): mixed
    {
        $client = new \Predis\Client(self::parameters($sentinel, false), ['exceptions' => true]);
        $this->connect($client, $sentinel);
        try {
            return $this->raw($client, $sentinel, $command);
        } finally {
            $client->disconnect();
        }
    }

    /**
     * @param list<string> $command
     */
    private function raw(\Predis\ClientInterface $client, Endpoint $endpoint, array $command): mixed
    {
        $start = microtime(true);
        try {
            $error = false;
            $reply = $client->executeRaw($command, $error);
        } catch (\Predis\Response\ServerException $e) {
            throw Failure::reply($endpoint, $e->getMessage(), $e);
        } catch (\Predis\CommunicationException $e) {
            throw Failure::afterSending($endpoint, $command[0], $e->getMessage(), microtime(true) - $start, true, $e);
        }
        if ($error === true || $reply instanceof \Predis\Response\ErrorInterface) {
            $message = is_object($reply) && method_exists($reply, 'getMessage') ? $reply->getMessage() : (string) $reply;
            throw Failure::reply($endpoint, $message);
        }
        return $reply;
    }

    /**
     * @return array<string, mixed>
     */
    private static function parameters(Endpoint $endpoint, bool $persistent): array
    {
        $parameters = [
            'scheme' => $endpoint->transport,
            'timeout' => $endpoint->connectTimeout,
            'read_write_timeout' => $endpoint->readTimeout,
        ];
        if ($endpoint->transport === Endpoint::UNIX) {
            $parameters['path'] = $endpoint->path;
        } else {
            $parameters['host'] = $endpoint->host;
            $parameters['port'] = $endpoint->port;
        }
        if ($endpoint->transport === Endpoint::TLS) {
            $parameters['ssl'] = $endpoint->tlsContext;
        }
        if ($endpoint->password !== null) {
            $parameters['password'] = $endpoint->password;
            if ($endpoint->username !== null) {
                $parameters['username'] = $endpoint->username;
            }
        }
        if ($persistent) {
            // Predis sends AUTH and SELECT on every connect(), so a reused socket is set up again.
            $parameters['persistent'] = $endpoint->transport === Endpoint::UNIX ? true : Connector::persistentId($endpoint);
            $parameters['database'] = $endpoint->database;
        } elseif ($endpoint->database !== 0) {
            $parameters['database'] = $endpoint->database;
        }
        return $parameters;
    }

    private static function endpointOf(\Predis\ClientInterface $client): Endpoint
    {
        $connection = $client->getConnection();
        if (!method_exists($connection, 'getParameters') && method_exists($connection, 'getMaster')) {
            $connection = $connection->getMaster();
        }
        if (!is_object($connection) || !method_exists($connection, 'getParameters')) {
            throw InvalidConfiguration::invalid('broker', $client, 'the Predis client has no single connection to read the server from.');
        }
        $p = $connection->getParameters();
        $connect = isset($p->timeout) ? (float) $p->timeout : ConnectionOptions::DEFAULT_CONNECT_TIMEOUT;
        $read = isset($p->read_write_timeout) && (float) $p->read_write_timeout > 0
            ? (float) $p->read_write_timeout
            : ConnectionOptions::DEFAULT_READ_TIMEOUT;
        $username = isset($p->username) && $p->username !== '' ? (string) $p->username : null;
        $password = isset($p->password) && $p->password !== '' ? (string) $p->password : null;
        $database = isset($p->database) ? (int) $p->database : 0;
        $scheme = isset($p->scheme) ? strtolower((string) $p->scheme) : 'tcp';
        if ($scheme === 'unix') {
            return Endpoint::unix((string) $p->path, $username, $password, $database, $connect, $read);
        }
        $host = (string) ($p->host ?? '127.0.0.1');
        $port = (int) ($p->port ?? 6379);
        if ($scheme === 'tls' || $scheme === 'rediss') {
            $ssl = isset($p->ssl) && is_array($p->ssl) ? $p->ssl : [];
            return Endpoint::tls($host, $port, $ssl + ['peer_name' => $host], $username, $password, $database, $connect, $read);
        }
        return Endpoint::tcp($host, $port, $username, $password, $database, $connect, $read);
    }
}
