<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Tests\Unit\Connection\Fixtures\TopologyReadings;
use PHPUnit\Framework\TestCase;

/**
 * Topology::fromUrl() reads the common URL (redis://host:port/db) without Dsn: for every URL it
 * must give what Dsn and fromDsn() give, or refuse it as they do.
 */
final class TopologyTest extends TestCase
{
    private const URLS = [
        'redis://localhost',
        'redis://localhost:6379',
        'redis://localhost:6379/0',
        'redis://127.0.0.1:6390/3',
        'redis://redis.example.com:1/15',
        'redis://h/',
        'redis://h:0/1',
        'redis://h:06380/02',
        'redis://h:65535/0',
        'redis://h:65536/0',
        'redis://h:99999/0',
        'redis://h:/0',
        'redis://h:1:2/0',
        'redis://h//3',
        'redis://h/0/1',
        'redis://h/-1',
        'redis://h/x',
        'redis://h/1234567890',
        'redis://',
        'redis://:6379/0',
        'redis:///0',
        'redis://H:6379/1',
        'redis://h.example-1.com:6379/0',
        'redis://h_1/0',
        'redis://hé/0',
        'redis://h /0',
        'redis://:/',
        'REDIS://h:6379/1',
        'redis://:pw@h:6379/1',
        'redis://h:6379/1?socket_timeout=5',
        'redis://h/1#x',
        'redis://h1;redis://h2',
        'redis://[::1]:6380/2',
        'redis://h%41/0',
        ' redis://h/0',
        'rediss://h:6380/0',
        'sentinel://h:26379',
        'redis+socket:///tmp/redis.sock',
        // User info: read without Dsn unless it holds what a URL must encode.
        'redis://:secret@h:6379/0',
        'redis://user:secret@h/1',
        "redis://:p!$&'()*+,=-._~@h/2",
        'redis://U_s.e-r~:P@127.0.0.1:6380/15',
        'redis://user@h/0',
        'redis://:@h/0',
        'redis://user:@h/0',
        'redis://:p%40ss@h/0',
        'redis://u%3Ax:a%2Fb%3Bc%25d%20e%2B@h/0',
        'redis://:%C3%A9%3F%23@h/0',
        'redis://:p%4@h/0',
        'redis://:p%zz@h/0',
        'redis://:%@h/0',
        'redis://:p@ss@h/0',
        'redis://:p:w@h/0',
        'redis://:p;w@h/0',
        'redis://:p#w@h/0',
        'redis://:p/w@h/0',
        'redis://:p?w@h/0',
        'redis://:p w@h/0',
        'redis://:pw@H/0',
        'redis://:pw@/0',
        'redis://:pw@h:0/0',
        'redis://:pw@h:/0',
        'redis://:pwé@h/0',
    ];

    /**
     * @return iterable<string, array{string, ConnectionOptions}>
     */
    public static function urls(): iterable
    {
        $table = json_decode((string) file_get_contents(__DIR__ . '/fixtures/urls.json'), true, 512, JSON_THROW_ON_ERROR);
        $urls = [...self::URLS, ...array_column($table, 'url')];
        foreach (TopologyReadings::options() as $label => $options) {
            foreach (array_unique($urls) as $url) {
                yield "$label: $url" => [$url, $options];
            }
        }
    }

    /**
     * @dataProvider urls
     */
    public function testFromUrlIsWhatDsnGives(string $url, ConnectionOptions $options): void
    {
        self::assertSame(TopologyReadings::viaDsn($url, $options), TopologyReadings::viaFromUrl($url, $options));
    }
}
