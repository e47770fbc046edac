<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Backend;

use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\RedisConnection;

/**
 * Passes every call to a real connection; tests override one method to act at that moment.
 */
abstract class ForwardingConnection implements RedisConnection
{
    public function __construct(protected readonly RedisConnection $inner, protected readonly \Redis $redis)
    {
    }

    public function lPush(string $key, string $value): int
    {
        return $this->inner->lPush($key, $value);
    }

    public function transaction(array $writes): void
    {
        $this->inner->transaction($writes);
    }

    public function publish(string $channel, string $message): int
    {
        return $this->inner->publish($channel, $message);
    }

    public function get(string $key): ?string
    {
        return $this->inner->get($key);
    }

    public function mGet(array $keys): array
    {
        return $this->inner->mGet($keys);
    }

    public function set(string $key, string $value, ?int $ttlSeconds = null): void
    {
        $this->inner->set($key, $value, $ttlSeconds);
    }

    public function del(string ...$keys): int
    {
        return $this->inner->del(...$keys);
    }

    public function lLen(string $key): int
    {
        return $this->inner->lLen($key);
    }

    public function purgeLists(array $keys): int
    {
        return $this->inner->purgeLists($keys);
    }

    public function lRange(string $key, int $start, int $stop): array
    {
        return $this->inner->lRange($key, $start, $stop);
    }

    public function sMembers(string $key): array
    {
        return $this->inner->sMembers($key);
    }

    public function brPop(array $keys, float $seconds): ?array
    {
        return $this->inner->brPop($keys, $seconds);
    }

    public function ensureConnected(): bool
    {
        return $this->inner->ensureConnected();
    }

    public function ping(): void
    {
        $this->inner->ping();
    }

    public function database(): int
    {
        return $this->inner->database();
    }

    public function describe(): string
    {
        return $this->inner->describe();
    }

    public function endpoint(): Endpoint
    {
        return $this->inner->endpoint();
    }

    public function close(): void
    {
        $this->inner->close();
    }

    public function withDeadline(?float $deadline, \Closure $call): mixed
    {
        return $this->inner->withDeadline($deadline, $call);
    }
}
