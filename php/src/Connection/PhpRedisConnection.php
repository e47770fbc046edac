<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\ReadOnlyReplica;

/**
 * RedisConnection over the phpredis extension (ext-redis).
 *
 * Built from a URL it connects on first use (constructing does no I/O), follows the failover
 * list or asks Sentinel, and reconnects after a failure. Built around a \Redis the caller
 * connected, it uses that client as it is and never closes it.
 *
 * @internal
 */
final class PhpRedisConnection implements RedisConnection
{
    private ?\Redis $redis;
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
        ?\Redis $redis,
        ?Endpoint $current,
    ) {
        $this->redis = $redis;
        $this->current = $current;
    }

    public static function fromDsn(Dsn $dsn, ?ConnectionOptions $options = null): self
    {
        $options ??= ConnectionOptions::defaults($dsn->role);
        return self::fromTopology(Topology::fromDsn($dsn, $options), $options);
    }

    public static function fromTopology(Topology $topology, ConnectionOptions $options): self
    {
        if (!extension_loaded('redis')) {
            throw InvalidConfiguration::invalid(
                'redis_client',
                ConnectionOptions::CLIENT_PHPREDIS,
                'the phpredis extension (ext-redis) is not loaded; install it or use redis_client => predis.',
            );
        }
        return new self($topology, $options, false, null, null);
    }

    /**
     * Uses a \Redis the caller has already connected (connect() or pconnect(), auth(), select()).
     */
    public static function fromClient(\Redis $redis): self
    {
        if (!$redis->isConnected()) {
            throw InvalidConfiguration::invalid(
                'broker',
                $redis,
                'the \Redis client is not connected: call connect() or pconnect() first, or pass a URL.',
            );
        }
        $prefix = $redis->getOption(\Redis::OPT_PREFIX);
        if (is_string($prefix) && $prefix !== '') {
            throw InvalidConfiguration::invalid(
                'broker',
                $redis,
                sprintf('the \Redis client has Redis::OPT_PREFIX "%s"; Celery workers would not find the '
                    . 'prefixed keys. Unset it and set broker_transport_options global_keyprefix instead, '
                    . 'as on the workers.', $prefix),
            );
        }
        if ($redis->getOption(\Redis::OPT_SERIALIZER) !== \Redis::SERIALIZER_NONE) {
            throw InvalidConfiguration::invalid(
                'broker',
                $redis,
                'the \Redis client has a Redis::OPT_SERIALIZER set; Celery messages must be written as they '
                . 'are. Use a client with Redis::SERIALIZER_NONE.',
            );
        }
        if (defined('Redis::OPT_COMPRESSION') && $redis->getOption(\Redis::OPT_COMPRESSION) !== \Redis::COMPRESSION_NONE) {
            throw InvalidConfiguration::invalid(
                'broker',
                $redis,
                'the \Redis client has Redis::OPT_COMPRESSION set; Celery workers could not read the messages.',
            );
        }
        $endpoint = Endpoint::fromPhpRedis($redis);
        return new self(Topology::single($endpoint), ConnectionOptions::defaults(), true, $redis, $endpoint);
    }

    public function lPush(string $key, string $value): int
    {
        return (int) $this->run('LPUSH', static fn (\Redis $r) => $r->lPush($key, $value));
    }

    public function publish(string $channel, string $message): int
    {
        return (int) $this->run('PUBLISH', static fn (\Redis $r) => $r->publish($channel, $message));
    }

    public function get(string $key): ?string
    {
        $value = $this->run('GET', static fn (\Redis $r) => $r->get($key));
        return is_string($value) ? $value : null;
    }

    public function mGet(array $keys): array
    {
        if ($keys === []) {
            return [];
        }
        $values = $this->run('MGET', static fn (\Redis $r) => $r->mGet($keys));
        return array_map(static fn ($v) => is_string($v) ? $v : null, array_values((array) $values));
    }

    public function set(string $key, string $value, ?int $ttlSeconds = null): void
    {
        $this->run(
            $ttlSeconds === null ? 'SET' : 'SETEX',
            static fn (\Redis $r) => $ttlSeconds === null ? $r->set($key, $value) : $r->setEx($key, $ttlSeconds, $value),
        );
    }

    public function del(string ...$keys): int
    {
        return $keys === [] ? 0 : (int) $this->run('DEL', static fn (\Redis $r) => $r->del(...$keys));
    }

    public function lLen(string $key): int
    {
        return (int) $this->run('LLEN', static fn (\Redis $r) => $r->lLen($key));
    }

    public function purgeLists(array $keys): int
    {
        $replies = $this->run('MULTI', static function (\Redis $r) use ($keys) {
            $transaction = $r->multi();
            foreach ($keys as $key) {
                $transaction->lLen($key);
                $transaction->del($key);
            }
            return $transaction->exec();
        });
        return array_sum(array_map('intval', array_filter((array) $replies, static fn ($i) => $i % 2 === 0, ARRAY_FILTER_USE_KEY)));
    }

    public function sMembers(string $key): array
    {
        return array_values(array_map('strval', (array) $this->run('SMEMBERS', static fn (\Redis $r) => $r->sMembers($key))));
    }

    public function ping(): void
    {
        $this->run('PING', static fn (\Redis $r) => $r->ping(), true);
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
        $this->client();
        return $this->current ?? throw new \LogicException('Connected without an endpoint.');
    }

    private function client(): \Redis
    {
        return $this->redis ?? $this->open();
    }

    public function close(): void
    {
        if ($this->injected) {
            return;
        }
        if ($this->options->persistent) {
            // Closing would end the persistent socket too; leave it to the next request.
            $this->redis = null;
            $this->current = null;
            return;
        }
        $this->drop();
    }

    private function drop(): void
    {
        if ($this->injected) {
            // phpredis reconnects a client it marked failed on the next command.
            return;
        }
        if ($this->redis !== null) {
            try {
                $this->redis->close();
            } catch (\RedisException) {
                // Already gone: nothing to release.
            }
        }
        $this->redis = null;
        $this->current = null;
    }

    /**
     * Runs one command. A command that may safely run twice (all but those in ONCE) is sent
     * once more on a new connection when a reused one turns out to be broken (the server
     * restarted, Sentinel disconnected us); a timeout is never repeated.
     */
    private function run(string $command, \Closure $call, bool $handshake = false): mixed
    {
        $reused = $this->redis !== null;
        $redis = $this->client();
        $endpoint = $this->current ?? $this->topology->endpoints[0];
        $redis->clearLastError();
        $start = microtime(true);
        try {
            $result = $call($redis);
        } catch (\RedisException $e) {
            if (Failure::isReply($e->getMessage())) {
                throw Failure::reply($endpoint, $e->getMessage(), $e);
            }
            $this->drop();
            $failure = Failure::afterSending($endpoint, $command, $e->getMessage(), microtime(true) - $start, $handshake, $e);
            if ($reused && !in_array($command, self::ONCE, true) && $failure instanceof ConnectionLost && !$failure->timedOut()) {
                return $this->run($command, $call, $handshake);
            }
            throw $failure;
        }
        if ($result === false) {
            $error = $redis->getLastError();
            if ($error !== null) {
                $redis->clearLastError();
                throw Failure::reply($endpoint, $error);
            }
        }
        return $result;
    }

    private function open(): \Redis
    {
        $candidates = $this->topology->isSentinel()
            ? [$this->topology->resolveMaster(fn (Endpoint $sentinel, array $command) => $this->askSentinel($sentinel, $command))]
            : $this->topology->endpoints;
        $failures = [];
        foreach ($candidates as $endpoint) {
            try {
                $redis = $this->connectTo($endpoint, $this->options->persistent);
                if ($this->topology->isSentinel()) {
                    $this->checkMaster($redis, $endpoint);
                }
            } catch (ConnectionFailed $e) {
                $failures[] = $e;
                continue;
            }
            $this->current = $endpoint;
            return $this->redis = $redis;
        }
        throw Connector::firstFailure($failures);
    }

    /**
     * @throws ConnectionFailed
     */
    private function connectTo(Endpoint $endpoint, bool $persistent): \Redis
    {
        $redis = new \Redis();
        $host = match ($endpoint->transport) {
            Endpoint::UNIX => (string) $endpoint->path,
            Endpoint::TLS => 'tls://' . $endpoint->host,
            default => $endpoint->host,
        };
        $port = $endpoint->transport === Endpoint::UNIX ? 0 : $endpoint->port;
        $persistentId = $persistent ? Connector::persistentId($endpoint) : null;
        $arguments = [$host, $port, $endpoint->connectTimeout, $persistentId, 0, $endpoint->readTimeout];
        if ($endpoint->transport === Endpoint::TLS) {
            $arguments[] = ['stream' => $endpoint->tlsContext];
        }
        $warnings = [];
        set_error_handler(static function (int $level, string $message) use (&$warnings): bool {
            $warnings[] = $message;
            return true;
        });
        try {
            $ok = $persistent ? $redis->pconnect(...$arguments) : $redis->connect(...$arguments);
            if ($ok !== true) {
                throw Failure::connecting($endpoint, (string) ($redis->getLastError() ?? 'connect() returned false'), $warnings);
            }
        } catch (\RedisException $e) {
            // After a failed TLS handshake phpredis throws on the call following connect().
            throw Failure::connecting($endpoint, $e->getMessage(), $warnings, $e);
        } finally {
            restore_error_handler();
        }
        // One silent reconnect when phpredis finds the socket closed before writing (nothing was
        // sent yet); every other retry is ours.
        $redis->setOption(\Redis::OPT_MAX_RETRIES, 1);
        if ($endpoint->password !== null) {
            $credentials = $endpoint->username !== null ? [$endpoint->username, $endpoint->password] : $endpoint->password;
            $this->handshake($redis, $endpoint, 'AUTH', static fn (\Redis $r) => $r->auth($credentials));
        }
        if ($endpoint->database !== 0) {
            $this->handshake($redis, $endpoint, 'SELECT', static fn (\Redis $r) => $r->select($endpoint->database));
        }
        return $redis;
    }

    private function handshake(\Redis $redis, Endpoint $endpoint, string $command, \Closure $call): mixed
    {
        $start = microtime(true);
        try {
            $result = $call($redis);
        } catch (\RedisException $e) {
            self::quietClose($redis);
            if (Failure::isReply($e->getMessage())) {
                throw Failure::reply($endpoint, $e->getMessage(), $e);
            }
            throw Failure::afterSending($endpoint, $command, $e->getMessage(), microtime(true) - $start, true, $e);
        }
        if ($result === false) {
            $error = (string) ($redis->getLastError() ?? sprintf('%s failed', $command));
            self::quietClose($redis);
            throw Failure::reply($endpoint, $error);
        }
        return $result;
    }

    /**
     * Sentinel may name a server that has just been demoted; redis-py finds out on the first
     * READONLY, we ask ROLE once per connection.
     */
    private function checkMaster(\Redis $redis, Endpoint $endpoint): void
    {
        $role = $this->handshake($redis, $endpoint, 'ROLE', static fn (\Redis $r) => $r->rawCommand('ROLE'));
        $name = is_array($role) ? (string) ($role[0] ?? '') : '';
        if ($name !== 'master') {
            self::quietClose($redis);
            throw ReadOnlyReplica::roleIs($endpoint->describe(), $name);
        }
    }

    /**
     * @param list<string> $command
     */
    private function askSentinel(Endpoint $sentinel, array $command): mixed
    {
        $redis = $this->connectTo($sentinel, false);
        try {
            return $this->handshake($redis, $sentinel, $command[0], static fn (\Redis $r) => $r->rawCommand(...$command));
        } finally {
            self::quietClose($redis);
        }
    }

    private static function quietClose(\Redis $redis): void
    {
        try {
            $redis->close();
        } catch (\RedisException) {
            // Closing a broken socket: nothing to release.
        }
    }
}
