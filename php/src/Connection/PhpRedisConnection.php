<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function array_map;
use function array_values;
use function hrtime;
use function inet_pton;
use function ini_get;
use function is_string;
use function restore_error_handler;
use function set_error_handler;
use function sprintf;
use function str_starts_with;

/**
 * RedisConnection over the phpredis extension (ext-redis).
 *
 * Opens sockets and runs commands with phpredis; connecting, failover and retrying are
 * ClientConnection's.
 *
 * @internal
 */
final class PhpRedisConnection extends ClientConnection
{
    /** Whether phpredis closed the socket itself in the last failed command (see release()). */
    private bool $closedByPhpRedis = false;

    /** ConnectionOptions::library() has checked that the extension is loaded. */
    public static function fromTopology(Topology $topology, ConnectionOptions $options): self
    {
        return new self($topology, $options, null, null);
    }

    public function lPush(string $key, string $value): int
    {
        $redis = $this->deadline === null ? $this->handle?->getValue() : null;
        if ($redis instanceof \Redis) {
            // Every publish: run()'s and execute()'s work without their closures on an open
            // socket with no deadline to apply. A failure goes through run() all the same.
            $redis->clearLastError();
            $start = hrtime(true);
            try {
                $length = $redis->lPush($key, $value);
            } catch (\RedisException $e) {
                return (int) $this->run('LPUSH', static fn () => throw $e, false, null, $start, $redis);
            }
            if ($length === false && ($error = $redis->getLastError()) !== null) {
                $redis->clearLastError();
                throw Failure::reply($this->current ?? $this->topology->endpoints[0], $error);
            }
            return (int) $length;
        }
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

    public function lRange(string $key, int $start, int $stop): array
    {
        return array_values(array_map('strval', (array) $this->run('LRANGE', static fn (\Redis $r) => $r->lRange($key, $start, $stop))));
    }

    public function sMembers(string $key): array
    {
        return array_values(array_map('strval', (array) $this->run('SMEMBERS', static fn (\Redis $r) => $r->sMembers($key))));
    }

    protected function blockingPop(#[\SensitiveParameter] object $client, array $keys, string $timeout): mixed
    {
        \assert($client instanceof \Redis);
        // brPop() takes whole seconds only; a timed-out BRPOP comes back as an empty list.
        return $client->rawCommand('BRPOP', ...[...$keys, $timeout]);
    }

    protected function inOneRoundTrip(#[\SensitiveParameter] object $client, array $writes): mixed
    {
        \assert($client instanceof \Redis);
        return PhpRedisTransaction::inOneRoundTrip($client, $writes, $this);
    }

    protected function execute(#[\SensitiveParameter] object $client, Endpoint $endpoint, #[\SensitiveParameter] \Closure $call): mixed
    {
        \assert($client instanceof \Redis);
        $client->clearLastError();
        try {
            $result = $call($client);
        } catch (\RedisException $e) {
            if (Failure::isReply($e->getMessage())) {
                throw Failure::reply($endpoint, $e->getMessage(), Failure::scrub($e));
            }
            $this->closedByPhpRedis = self::closedItsSocket($e);
            throw $e;
        }
        if ($result === false) {
            $error = $client->getLastError();
            if ($error !== null) {
                $client->clearLastError();
                throw Failure::reply($endpoint, $error);
            }
        }
        return $result;
    }

    /**
     * phpredis (5.3+) sends ECHO on a pooled socket before pconnect() returns it, and opens a new
     * socket when no reply comes: our own PING would check the same thing a second time.
     */
    protected function poolChecksLiveness(): bool
    {
        return (bool) ini_get('redis.pconnect.echo_check_liveness');
    }

    protected function isSocketFailure(\Throwable $e): bool
    {
        return $e instanceof \RedisException;
    }

    public function raw(#[\SensitiveParameter] object $client, Endpoint $endpoint, array $command): mixed
    {
        \assert($client instanceof \Redis);
        return $this->handshake($client, $endpoint, $command[0], static fn (\Redis $r) => $r->rawCommand(...$command));
    }

    protected function setReadTimeout(#[\SensitiveParameter] object $client, float $seconds): void
    {
        \assert($client instanceof \Redis);
        $client->setOption(\Redis::OPT_READ_TIMEOUT, $seconds);
    }

    public function disconnect(#[\SensitiveParameter] object $client): void
    {
        \assert($client instanceof \Redis);
        $this->release($client, $this->closedByPhpRedis);
        $this->closedByPhpRedis = false;
    }

    /**
     * @throws ConnectionFailed
     */
    public function openOn(Endpoint $endpoint, bool $persistent): \Redis
    {
        $redis = new \Redis();
        $transport = $endpoint->transport;
        $host = match ($transport) {
            Endpoint::UNIX => (string) $endpoint->path,
            Endpoint::TLS => 'tls://' . $endpoint->host,
            default => $endpoint->host,
        };
        $port = $transport === Endpoint::UNIX ? 0 : $endpoint->port;
        $persistentId = $persistent ? $endpoint->persistentId() : null;
        $timeout = $endpoint->connectTimeout;
        $tls = $transport === Endpoint::TLS ? ['stream' => $endpoint->streamContext()['ssl']] : null;
        // PHP reports a host name that does not resolve and a failed TLS handshake as warnings,
        // kept for the error message. An IP address or a Unix socket raises none: its connect()
        // runs without the handler (which costs a PHP-FPM request a closure and two calls).
        $warnings = [];
        $quiet = $tls === null && ($transport === Endpoint::UNIX || inet_pton($host) !== false);
        if (!$quiet) {
            set_error_handler(static function (int $level, string $message) use (&$warnings): bool {
                $warnings[] = $message;
                return true;
            });
        }
        try {
            $ok = match (true) {
                $tls !== null && $persistent => $redis->pconnect($host, $port, $timeout, $persistentId, 0, $endpoint->readTimeout, $tls),
                $tls !== null => $redis->connect($host, $port, $timeout, null, 0, $endpoint->readTimeout, $tls),
                $persistent => $redis->pconnect($host, $port, $timeout, $persistentId, 0, $endpoint->readTimeout),
                default => $redis->connect($host, $port, $timeout, null, 0, $endpoint->readTimeout),
            };
            if ($ok !== true) {
                throw Failure::connecting($endpoint, (string) ($redis->getLastError() ?? 'connect() returned false'), $warnings);
            }
        } catch (\RedisException $e) {
            // After a failed TLS handshake phpredis throws on the call following connect().
            throw Failure::connecting($endpoint, $e->getMessage(), $warnings, Failure::scrub($e));
        } finally {
            if (!$quiet) {
                restore_error_handler();
            }
        }
        // One silent reconnect when phpredis finds the socket closed before writing (nothing was
        // sent yet); every other retry is ours.
        $redis->setOption(\Redis::OPT_MAX_RETRIES, 1);
        if ($endpoint->password() !== null) {
            $credentials = $endpoint->username !== null ? [$endpoint->username, $endpoint->password()] : $endpoint->password();
            $this->handshake($redis, $endpoint, 'AUTH', static fn (\Redis $r) => $r->auth($credentials));
        }
        if ($endpoint->database !== 0) {
            $this->handshake($redis, $endpoint, 'SELECT', static fn (\Redis $r) => $r->select($endpoint->database));
        }
        return $redis;
    }

    private function handshake(
        #[\SensitiveParameter] \Redis $redis,
        Endpoint $endpoint,
        string $command,
        #[\SensitiveParameter] \Closure $call,
    ): mixed {
        $start = Clock::now();
        try {
            $result = $call($redis);
        } catch (\RedisException $e) {
            $this->release($redis, self::closedItsSocket($e));
            if (Failure::isReply($e->getMessage())) {
                throw Failure::reply($endpoint, $e->getMessage(), Failure::scrub($e));
            }
            throw Failure::afterSending($endpoint, $command, $e->getMessage(), Clock::now() - $start, true, Failure::scrub($e));
        }
        if ($result === false) {
            $error = (string) ($redis->getLastError() ?? sprintf('%s failed', $command));
            $this->release($redis, false);
            throw Failure::reply($endpoint, $error);
        }
        return $result;
    }

    /**
     * Lets go of a client. Any method of a \Redis whose socket phpredis has already closed (as
     * it does after a read error) connects it again first, AUTH included: close() after a
     * timed-out AUTH would wait the read timeout a second time. A non-persistent socket is
     * closed when the last reference to its \Redis goes, so only a persistent one (which
     * outlives the object) is closed explicitly, unless phpredis has closed it already.
     */
    private function release(#[\SensitiveParameter] \Redis $redis, bool $closed): void
    {
        if ($this->options->persistent && !$closed) {
            try {
                $redis->close();
            } catch (\RedisException) {
                // Closing a broken socket: nothing to release.
            }
        }
    }

    /**
     * Whether phpredis closed the socket itself when it threw $e: it does after a failed read
     * of a reply line ("read error on connection to ...") and when it finds the peer gone
     * ("Connection lost", "Connection closed"), not after "socket error on read socket".
     */
    private static function closedItsSocket(\RedisException $e): bool
    {
        $message = $e->getMessage();
        return str_starts_with($message, 'read error on connection') || str_starts_with($message, 'Connection lost')
            || $message === 'Connection closed';
    }
}
