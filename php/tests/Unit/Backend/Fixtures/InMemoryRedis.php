<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Backend\Fixtures;

use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\RedisConnection;

/**
 * A RedisConnection over a PHP array, counting the commands it was sent. There is no server to
 * subscribe to, so endpoint() fails: a unit test that reaches the pub/sub wait is a bug.
 */
final class InMemoryRedis implements RedisConnection
{
    /** @var array<string, string> */
    public array $data = [];

    /** @var list<string> */
    public array $commands = [];

    public function __construct(private readonly int $database = 1)
    {
    }

    public function lPush(string $key, string $value): int
    {
        throw new \LogicException('not used by the result backend');
    }

    public function transaction(array $writes): void
    {
        throw new \LogicException('not used by the result backend');
    }

    public function publish(string $channel, string $message): int
    {
        throw new \LogicException('not used by the result backend');
    }

    public function get(string $key): ?string
    {
        $this->commands[] = 'GET ' . $key;
        return $this->data[$key] ?? null;
    }

    public function mGet(array $keys): array
    {
        $this->commands[] = 'MGET ' . implode(' ', $keys);
        return array_map(fn (string $key): ?string => $this->data[$key] ?? null, $keys);
    }

    public function set(string $key, string $value, ?int $ttlSeconds = null): void
    {
        $this->data[$key] = $value;
    }

    public function del(string ...$keys): int
    {
        $this->commands[] = 'DEL ' . implode(' ', $keys);
        $deleted = count(array_intersect_key($this->data, array_flip($keys)));
        $this->data = array_diff_key($this->data, array_flip($keys));
        return $deleted;
    }

    public function lLen(string $key): int
    {
        throw new \LogicException('not used by the result backend');
    }

    public function lRange(string $key, int $start, int $stop): array
    {
        throw new \LogicException('not used by the result backend');
    }

    public function purgeLists(array $keys): int
    {
        throw new \LogicException('not used by the result backend');
    }

    public function sMembers(string $key): array
    {
        throw new \LogicException('not used by the result backend');
    }

    public function brPop(array $keys, float $seconds): ?array
    {
        throw new \LogicException('not used by the result backend');
    }

    public function ensureConnected(): bool
    {
        return false;
    }

    public function ping(): void
    {
    }

    public function database(): int
    {
        return $this->database;
    }

    public function describe(): string
    {
        return 'memory:0';
    }

    public function endpoint(): Endpoint
    {
        throw new \LogicException('A unit test tried to subscribe: there is no server here.');
    }

    public function close(): void
    {
    }

    public function withDeadline(?float $deadline, \Closure $call): mixed
    {
        return $call();
    }
}
