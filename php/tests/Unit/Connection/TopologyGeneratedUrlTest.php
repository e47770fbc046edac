<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\Role;
use CeleryBridge\Tests\Unit\Connection\Fixtures\TopologyReadings;
use PHPUnit\Framework\TestCase;

/**
 * Topology::fromUrl() reads redis://[[user]:password@]host[:port][/db] with its own regular
 * expressions; everything else goes to Dsn. Generated URLs (seeded, so the same on every run)
 * built from the pieces where the two could part ways (user info with every printable ASCII
 * character raw and percent-encoded, hosts, ports, databases, what may follow) must give what
 * Dsn and fromDsn() give, field by field, or the same refusal.
 */
final class TopologyGeneratedUrlTest extends TestCase
{
    private const SEED = 20261205;
    private const URLS = 2500;
    /** What a URL leaves as it is in user info (and the fast path accepts raw). */
    private const SAFE = 'abcXYZ019_.~!$&\'()*+,=-';

    private const SCHEMES = ['redis', 'redis', 'redis', 'redis', 'redis', 'rediss', 'unix', 'REDIS', 'Redis', 'redis+socket', 'sentinel'];
    private const HOSTS = [
        'localhost', 'h', 'redis.example.com', 'redis-1.internal', '127.0.0.1', '10.0.0.255', 'a.b-c.d', '-', '.', 'h.',
        'H', 'Redis.Example.COM', 'hÉ', 'h_1', 'h%41', '[::1]', '[fe80::1]', '[::FFFF:127.0.0.1]', '[::1', '::1', '',
        'h h', 'h~', '0', '999.999.999.999',
    ];
    private const PORTS = [
        null, null, '', '0', '00', '00000', '1', '01', '6379', '06379', '006379', '65535', '065535', '65536', '99999',
        '100000', '-1', '6379x', ' 6379', '1:2',
    ];
    private const DATABASES = [
        null, null, '', '0', '00', '007', '1', '15', '123456789', '999999999', '1234567890', '9999999999', 'x', '-1',
        '/3', '0/1', '%31', ' 1', '1 ',
    ];
    /** Hosts of the fast path's shape (lower-case names and IPv4 addresses). */
    private const FAST_HOSTS = ['localhost', 'h', 'redis.example.com', 'redis-1.internal', '127.0.0.1', '10.0.0.255', 'a.b-c.d', '0'];
    private const SUFFIXES = [
        '', '', '', '', '/', '?', '?socket_timeout=5', '?db=3', '#', '#fragment', '#f@g', '?x=1#y', "\n", ' ', ';redis://h2',
    ];

    public function testGeneratedUrlsGiveWhatDsnGives(): void
    {
        $options = TopologyReadings::options();
        $random = new \Random\Randomizer(new \Random\Engine\Mt19937(self::SEED));
        $fastShaped = 0;
        for ($i = 0; $i < self::URLS; $i++) {
            // Half of the URLs of the shape the fast path reads (it reads them for every option
            // set but TLS), half from pieces that include its near misses.
            $fast = $random->getInt(0, 1) === 0;
            $url = $fast ? self::fastShapedUrl($random) : self::url($random);
            $fastShaped += $fast ? 1 : 0;
            foreach ($options as $label => $option) {
                [$expected, $actual] = [TopologyReadings::viaDsn($url, $option), TopologyReadings::viaFromUrl($url, $option)];
                self::assertSame($expected, $actual, sprintf('URL %s (%s)', json_encode($url, JSON_UNESCAPED_SLASHES), $label));
                self::assertTrue(!$fast || $expected[0] === 'topology', 'a URL of the fast path\'s shape is accepted: ' . $url);
            }
        }
        self::assertGreaterThan(self::URLS / 3, $fastShaped);
    }

    /**
     * User info with every printable ASCII character, raw and percent-encoded, around a
     * password and a user name: fromUrl() gives what Dsn gives, field by field, or the same
     * refusal. (That the fast path, not Dsn, reads such URLs is test_cold_start.py's check.)
     */
    public function testUserInfoOfEveryPrintableCharacterRawOrEncoded(): void
    {
        $options = ConnectionOptions::fromConfig([], Role::Broker);
        for ($c = 0x20; $c <= 0x7e; $c++) {
            foreach ([chr($c), sprintf('%%%02X', $c), sprintf('%%%02x', $c)] as $piece) {
                foreach (["redis://:p{$piece}w@h/0", "redis://u{$piece}:pw@h:6380/1", "redis://{$piece}:{$piece}@h"] as $url) {
                    $message = json_encode($url, JSON_UNESCAPED_SLASHES) ?: '';
                    self::assertSame(TopologyReadings::viaDsn($url, $options), TopologyReadings::viaFromUrl($url, $options), $message);
                }
            }
        }
    }

    /** redis://[[user]:password@]host[:port][/db], each part valid. */
    private static function fastShapedUrl(\Random\Randomizer $random): string
    {
        $url = 'redis://';
        if ($random->getInt(0, 1) === 1) {
            $url .= self::fastText($random, 0) . ':' . self::fastText($random, 1) . '@';
        }
        $url .= self::FAST_HOSTS[$random->getInt(0, count(self::FAST_HOSTS) - 1)];
        $url .= $random->getInt(0, 1) === 1 ? ':' . $random->getInt(1, 65535) : '';
        return $url . ($random->getInt(0, 1) === 1 ? '/' . $random->getInt(0, 999999999) : '');
    }

    /** User info characters the fast path reads: SAFE ones raw, any printable one percent-encoded. */
    private static function fastText(\Random\Randomizer $random, int $least): string
    {
        $text = '';
        for ($n = $random->getInt($least, 6); $n > 0; $n--) {
            $text .= $random->getInt(0, 2) === 0
                ? sprintf('%%%02X', $random->getInt(0x20, 0x7e))
                : self::SAFE[$random->getInt(0, strlen(self::SAFE) - 1)];
        }
        return $text;
    }

    private static function url(\Random\Randomizer $random): string
    {
        $pick = static fn (array $list): mixed => $list[$random->getInt(0, count($list) - 1)];
        $url = $pick(self::SCHEMES) . '://';
        $shape = $random->getInt(0, 9);
        if ($shape >= 4) {
            $url .= self::userInfo($random, $shape);
        }
        $url .= $pick(self::HOSTS);
        $port = $pick(self::PORTS);
        $url .= $port === null ? '' : ':' . $port;
        $database = $pick(self::DATABASES);
        $url .= $database === null ? '' : '/' . $database;
        return $url . $pick(self::SUFFIXES);
    }

    /**
     * "[user]:password@" and its near misses: no ":" at all, an empty user or password, a ":",
     * "@", "#", "/" or "?" in the password, raw or percent-encoded, malformed "%".
     */
    private static function userInfo(\Random\Randomizer $random, int $shape): string
    {
        $user = $random->getInt(0, 2) === 0 ? '' : self::text($random);
        $password = $random->getInt(0, 5) === 0 ? '' : self::text($random);
        return match ($shape) {
            4 => $user . '@',
            default => $user . ':' . $password . '@',
        };
    }

    private static function text(\Random\Randomizer $random): string
    {
        $text = '';
        for ($n = $random->getInt(1, 6); $n > 0; $n--) {
            $kind = $random->getInt(0, 19);
            $char = chr($random->getInt(0x20, 0x7e));
            $text .= match (true) {
                // Mostly characters a URL leaves as they are, so that many URLs reach the fast path.
                $kind < 8 => self::SAFE[$random->getInt(0, strlen(self::SAFE) - 1)],
                $kind < 12 => $char,
                $kind < 15 => sprintf('%%%02X', ord($char)),
                $kind < 16 => sprintf('%%%02x', ord($char)),
                $kind < 17 => sprintf('%%%02X', $random->getInt(0x80, 0xff)),
                default => ['%', '%4', '%zz', '%G1', '%%41', '%4g'][$kind - 17 + $random->getInt(0, 3)],
            };
        }
        return $text;
    }
}
