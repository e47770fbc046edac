<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Fixtures;

use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\RedisConnection;

/**
 * A RedisConnection whose PING and LPUSH outcomes are scripted: each call takes the next
 * entry of its script (a Throwable is thrown, anything else means success).
 */
final class ScriptedConnection implements RedisConnection
{
    /** @var list<string> */
    public array $calls = [];
    /** @var list<array{string, string}> what LPUSH stored */
    public array $pushed = [];

    /**
     * @param list<\Throwable|null> $pings
     * @param list<\Throwable|null> $pushes
     * @param bool $opens whether ensureConnected() opens a fresh socket (true) or finds one (false)
     */
    public function __construct(private array $pings = [], private array $pushes = [], private bool $opens = false)
    {
    }

    public function ensureConnected(): bool
    {
        $opened = $this->opens;
        $this->opens = false;
        return $opened;
    }

    public function ping(): void
    {
        $this->calls[] = 'PING';
        $next = array_shift($this->pings);
        if ($next instanceof \Throwable) {
            throw $next;
        }
    }

    public function lPush(string $key, string $value): int
    {
        $this->calls[] = 'LPUSH';
        $next = array_shift($this->pushes);
        if ($next instanceof \Throwable) {
            throw $next;
        }
        $this->pushed[] = [$key, $value];
        return count($this->pushed);
    }

    /**
     * Takes its outcome from the LPUSH script, and stores the LPUSHes among the writes.
     */
    public function transaction(array $writes): void
    {
        $this->calls[] = 'MULTI';
        $next = array_shift($this->pushes);
        if ($next instanceof \Throwable) {
            throw $next;
        }
        foreach ($writes as $write) {
            if ($write[0] === 'LPUSH') {
                $this->pushed[] = [$write[1], (string) $write[2]];
            }
        }
    }

    public function publish(string $channel, string $message): int
    {
        $this->calls[] = 'PUBLISH';
        return 0;
    }

    public function get(string $key): ?string
    {
        return null;
    }

    public function mGet(array $keys): array
    {
        return array_fill(0, count($keys), null);
    }

    public function set(string $key, string $value, ?int $ttlSeconds = null): void
    {
    }

    public function del(string ...$keys): int
    {
        return 0;
    }

    public function lLen(string $key): int
    {
        return 0;
    }

    public function lRange(string $key, int $start, int $stop): array
    {
        return [];
    }

    public function purgeLists(array $keys): int
    {
        return 0;
    }

    public function sMembers(string $key): array
    {
        return [];
    }

    public function brPop(array $keys, float $seconds): ?array
    {
        return null;
    }

    public function database(): int
    {
        return 0;
    }

    public function describe(): string
    {
        return '127.0.0.1:6379';
    }

    public function endpoint(): Endpoint
    {
        return Endpoint::tcp('127.0.0.1');
    }

    public function close(): void
    {
        $this->calls[] = 'CLOSE';
    }

    public function withDeadline(?float $deadline, \Closure $call): mixed
    {
        return $call();
    }
}
