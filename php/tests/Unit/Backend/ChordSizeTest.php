<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Backend;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Connection\RedisConnection;
use PHPUnit\Framework\TestCase;

/**
 * The chord size key a publisher stores for the Redis backend (Celery's set_chord_size).
 */
final class ChordSizeTest extends TestCase
{
    /**
     * @param array<string, mixed> $options result_backend_transport_options
     * @return list<string> the commands sent
     */
    private function commands(array $options, ?int $expires): array
    {
        $commands = [];
        $connection = $this->createMock(RedisConnection::class);
        $connection->method('del')->willReturnCallback(static function (string ...$keys) use (&$commands): int {
            $commands[] = 'DEL ' . implode(' ', $keys);
            return 0;
        });
        $connection->method('set')->willReturnCallback(static function (string $key, string $value, ?int $ttl) use (&$commands): void {
            $commands[] = sprintf('SET %s %s %s', $key, $value, $ttl ?? 'no-ttl');
        });
        $writer = RedisResultBackend::fromOptions($connection, $options, $expires)->groupState();
        $writer->run($writer->chordSize('gid', 3));
        return $commands;
    }

    public function testTheSizeKeyIsSetAfterTheDoneMarkIsCleared(): void
    {
        self::assertSame(
            ['DEL celery-taskset-meta-gid.c', 'SET celery-taskset-meta-gid.s 3 86400'],
            $this->commands([], 86400),
        );
    }

    public function testTheBackendPrefixAndExpiryApply(): void
    {
        self::assertSame(
            ['DEL pfx_celery-taskset-meta-gid.c', 'SET pfx_celery-taskset-meta-gid.s 3 no-ttl'],
            $this->commands(['global_keyprefix' => 'pfx'], null),
        );
        self::assertSame(
            ['DEL app:celery-taskset-meta-gid.c', 'SET app:celery-taskset-meta-gid.s 3 60'],
            $this->commands(['global_keyprefix' => 'app:'], 60),
        );
    }
}
