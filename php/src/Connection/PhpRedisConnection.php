<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * RedisConnection over the phpredis extension.
 *
 * @internal
 */
final class PhpRedisConnection implements RedisConnection
{
    private ?\Redis $redis;

    public function __construct(private readonly ?Dsn $dsn, ?\Redis $connected = null)
    {
        $this->redis = $connected;
    }

    public static function fromDsn(Dsn $dsn): self
    {
        return new self($dsn);
    }

    public static function fromClient(\Redis $redis): self
    {
        return new self(null, $redis);
    }

    public function lPush(string $key, string $value): int
    {
        return (int) $this->call(fn (\Redis $r) => $r->lPush($key, $value));
    }

    public function publish(string $channel, string $message): int
    {
        return (int) $this->call(fn (\Redis $r) => $r->publish($channel, $message));
    }

    public function get(string $key): ?string
    {
        $value = $this->call(fn (\Redis $r) => $r->get($key));
        return is_string($value) ? $value : null;
    }

    public function mGet(array $keys): array
    {
        if ($keys === []) {
            return [];
        }
        $values = $this->call(fn (\Redis $r) => $r->mGet($keys));
        return array_map(static fn ($v) => is_string($v) ? $v : null, array_values((array) $values));
    }

    public function set(string $key, string $value, ?int $ttlSeconds = null): void
    {
        $this->call(fn (\Redis $r) => $ttlSeconds === null ? $r->set($key, $value) : $r->setEx($key, $ttlSeconds, $value));
    }

    public function del(string ...$keys): int
    {
        return $keys === [] ? 0 : (int) $this->call(fn (\Redis $r) => $r->del(...$keys));
    }

    public function lLen(string $key): int
    {
        return (int) $this->call(fn (\Redis $r) => $r->lLen($key));
    }

    public function sMembers(string $key): array
    {
        return array_values((array) $this->call(fn (\Redis $r) => $r->sMembers($key)));
    }

    public function database(): int
    {
        if ($this->dsn !== null) {
            return $this->dsn->database;
        }
        return (int) $this->client()->getDbNum();
    }

    public function describe(): string
    {
        if ($this->dsn !== null) {
            return $this->dsn->server();
        }
        return sprintf('%s:%d', (string) $this->redis?->getHost(), (int) $this->redis?->getPort());
    }

    public function endpoint(): Endpoint
    {
        if ($this->dsn !== null) {
            return Endpoint::tcp($this->dsn->host, $this->dsn->port, $this->dsn->username, $this->dsn->password, $this->dsn->database);
        }
        return Endpoint::fromPhpRedis($this->client());
    }

    public function close(): void
    {
        if ($this->dsn !== null && $this->redis !== null) {
            try {
                $this->redis->close();
            } catch (\RedisException) {
                // Already gone: nothing to release.
            }
            $this->redis = null;
        }
    }

    private function call(callable $command): mixed
    {
        try {
            $result = $command($this->client());
        } catch (\RedisException $e) {
            throw ConnectionFailed::because($this->describe(), $e->getMessage(), $e);
        }
        if ($result === false && $this->redis?->getLastError() !== null) {
            $error = (string) $this->redis->getLastError();
            $this->redis->clearLastError();
            throw ConnectionFailed::because($this->describe(), $error);
        }
        return $result;
    }

    private function client(): \Redis
    {
        if ($this->redis !== null) {
            return $this->redis;
        }
        $dsn = $this->dsn ?? throw new \LogicException('No DSN and no client.');
        $redis = new \Redis();
        try {
            $redis->connect($dsn->host, $dsn->port, 5.0);
            if ($dsn->password !== null) {
                $redis->auth($dsn->username !== null ? [$dsn->username, $dsn->password] : $dsn->password);
            }
            if ($dsn->database !== 0) {
                $redis->select($dsn->database);
            }
        } catch (\RedisException $e) {
            throw ConnectionFailed::because($dsn->server(), 'cannot connect (' . $e->getMessage() . ').', $e);
        }
        return $this->redis = $redis;
    }
}
