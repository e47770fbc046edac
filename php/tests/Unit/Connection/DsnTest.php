<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\Dsn;
use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\Topology;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\InvalidBrokerUrl;
use PHPUnit\Framework\TestCase;

/**
 * The URL table in fixtures/urls.json is shared with tests/connections/test_url_table.py,
 * which checks the same expectations against kombu's and Celery's own parsing.
 */
final class DsnTest extends TestCase
{
    /**
     * @return iterable<string, array{array<string, mixed>}>
     */
    public static function cases(): iterable
    {
        $cases = json_decode((string) file_get_contents(__DIR__ . '/fixtures/urls.json'), true, 512, JSON_THROW_ON_ERROR);
        foreach ($cases as $case) {
            yield $case['name'] => [$case];
        }
    }

    /**
     * @dataProvider cases
     * @param array<string, mixed> $case
     */
    public function testTheUrlTable(array $case): void
    {
        $role = $case['role'] ?? Dsn::BROKER;
        $config = $case['config'] ?? [];
        if (isset($case['reject'])) {
            try {
                self::view(Dsn::fromString($case['url'], $role), $config, $role);
                self::fail(sprintf('"%s" was accepted; expected a rejection naming: %s', $case['url'], $case['reject']));
            } catch (CeleryBridgeException $e) {
                self::assertStringContainsString($case['reject'], $e->getMessage());
                self::assertStringNotContainsString('secret', $e->getMessage(), 'a message shows the password');
            }
            return;
        }
        $dsn = Dsn::fromString($case['url'], $role);
        self::assertSame($case['expect']['nodes'], self::view($dsn, $config, $role));
        if (isset($case['expect']['masked'])) {
            self::assertSame($case['expect']['masked'], (string) $dsn);
        }
    }

    public function testEachTlsOptionErrorNamesItsOption(): void
    {
        $cases = [
            'rediss://h:1/0?ssl_cert_reqs=bogus' => 'the TLS option "ssl_cert_reqs" has the value "bogus"',
            'rediss://h:1/0?ssl_cert_reqs=required&ssl_ca_certs=' => 'the TLS option "ssl_ca_certs" has the value ""',
        ];
        foreach ($cases as $url => $expected) {
            try {
                Dsn::fromString($url);
                self::fail("$url was accepted");
            } catch (InvalidBrokerUrl $e) {
                self::assertStringContainsString($expected, $e->getMessage());
            }
        }
    }

    public function testThePasswordNeverPrints(): void
    {
        $dsn = Dsn::fromString('redis://alice:pa55word@h:6379/2;redis://:pa55word@h2/0');

        self::assertSame('redis://alice:****@h:6379/2;redis://:****@h2:6379/0', (string) $dsn);
        self::assertStringNotContainsString('pa55word', print_r($dsn, true));
        ob_start();
        var_dump($dsn);
        self::assertStringNotContainsString('pa55word', (string) ob_get_clean());
        self::assertStringNotContainsString('pa55word', $dsn->server());
        self::assertSame('pa55word', $dsn->password());
    }

    public function testTlsKeyPasswordIsMaskedToo(): void
    {
        $url = 'rediss://h:6380/0?ssl_cert_reqs=required&ssl_keyfile=/k.pem&ssl_password=kEy5ecret';

        self::assertStringNotContainsString('kEy5ecret', (string) Dsn::fromString($url));
        self::assertStringNotContainsString('kEy5ecret', InvalidBrokerUrl::mask($url));
    }

    public function testMaskWorksOnUrlsThatDoNotParse(): void
    {
        self::assertSame('redis://u:****@h:x/0', InvalidBrokerUrl::mask('redis://u:p@ss/w@rd@h:x/0'));

        try {
            Dsn::fromString('redis://u:p%40ss@h:x/0');
            self::fail('accepted a bad port');
        } catch (InvalidBrokerUrl $e) {
            self::assertStringNotContainsString('p%40ss', $e->getMessage());
            self::assertStringContainsString('redis://u:****@h:x/0', $e->getMessage());
        }
    }

    public function testPortAndTimeoutsOnTheUrlReachTheEndpoint(): void
    {
        $broker = Topology::fromDsn(Dsn::fromString('redis://h/0?connect_timeout=2.5'), ConnectionOptions::defaults());
        $backend = Topology::fromDsn(
            Dsn::fromString('redis://h/0?socket_timeout=7&socket_connect_timeout=1.5', Dsn::BACKEND),
            ConnectionOptions::defaults(Dsn::BACKEND),
        );

        self::assertSame(2.5, $broker->endpoints[0]->connectTimeout);
        self::assertSame(ConnectionOptions::DEFAULT_READ_TIMEOUT, $broker->endpoints[0]->readTimeout);
        self::assertSame(1.5, $backend->endpoints[0]->connectTimeout);
        self::assertSame(7.0, $backend->endpoints[0]->readTimeout);
    }

    public function testTlsContextVerifiesByDefaultAndNamesThePeer(): void
    {
        $topology = Topology::fromDsn(
            Dsn::fromString('rediss://redis.example:6380/0?ssl_cert_reqs=required&ssl_ca_certs=/ca.pem'),
            ConnectionOptions::defaults(),
        );
        $endpoint = $topology->endpoints[0];

        self::assertSame(Endpoint::TLS, $endpoint->transport);
        self::assertSame('tls://redis.example:6380', $endpoint->streamUri());
        self::assertTrue($endpoint->tlsContext['verify_peer']);
        self::assertTrue($endpoint->tlsContext['verify_peer_name']);
        self::assertSame('redis.example', $endpoint->tlsContext['peer_name']);
        self::assertSame('/ca.pem', $endpoint->tlsContext['cafile']);
        self::assertSame(['ssl' => $endpoint->tlsContext], $endpoint->streamContext());
    }

    public function testCertNoneTurnsVerificationOff(): void
    {
        $endpoint = Topology::fromDsn(Dsn::fromString('rediss://h:6380/0?ssl_cert_reqs=none'), ConnectionOptions::defaults())->endpoints[0];

        self::assertFalse($endpoint->tlsContext['verify_peer']);
        self::assertFalse($endpoint->tlsContext['verify_peer_name']);
    }

    public function testUnixEndpoint(): void
    {
        $endpoint = Topology::fromDsn(
            Dsn::fromString('redis+socket://:pw@/run/redis/redis.sock?virtual_host=4'),
            ConnectionOptions::defaults(),
        )->endpoints[0];

        self::assertSame('unix:///run/redis/redis.sock', $endpoint->streamUri());
        self::assertSame('unix:/run/redis/redis.sock', $endpoint->describe());
        self::assertSame(4, $endpoint->database);
        self::assertSame('pw', $endpoint->password());
        self::assertSame([], $endpoint->streamContext());
    }

    public function testASocketUrlKeepsItsReadTimeoutAndHasNoConnectTimeoutAsInKombu(): void
    {
        $dsn = Dsn::fromString('redis+socket:///run/redis/redis.sock?socket_timeout=4&socket_connect_timeout=1.5');

        self::assertSame([Endpoint::UNIX, '', 0, '/run/redis/redis.sock'], [$dsn->transport, $dsn->host, $dsn->port, $dsn->path]);
        self::assertSame(4.0, $dsn->readTimeout);
        self::assertNull($dsn->connectTimeout);
    }

    public function testIpv6EndpointIsBracketed(): void
    {
        $endpoint = Topology::fromDsn(Dsn::fromString('redis://[::1]:6380/0'), ConnectionOptions::defaults())->endpoints[0];

        self::assertSame('::1', $endpoint->host);
        self::assertSame('tcp://[::1]:6380', $endpoint->streamUri());
        self::assertSame('[::1]:6380', $endpoint->describe());
    }

    /**
     * Both sides of the comparison in the shape of the fixture.
     *
     * @param array<string, mixed> $config
     * @return list<array<string, mixed>>
     */
    private static function view(Dsn $dsn, array $config, string $role): array
    {
        $options = ConnectionOptions::fromConfig($config, $role);
        Topology::fromDsn($dsn, $options);
        $nodes = [];
        foreach ($dsn->nodes() as $node) {
            $tls = $node->transport === Endpoint::UNIX ? null : Topology::tlsOf($node, $options);
            $nodes[] = [
                'transport' => $tls === null ? $node->transport : Endpoint::TLS,
                'host' => $node->transport === Endpoint::UNIX ? null : $node->host,
                'port' => $node->transport === Endpoint::UNIX ? null : $node->port,
                'path' => $node->path,
                'db' => $node->database,
                'username' => $node->username,
                'password' => $node->password(),
                'cert_reqs' => $tls?->certReqs,
                'ca_certs' => $tls?->caCerts,
                'certfile' => $tls?->certFile,
                'keyfile' => $tls?->keyFile,
                'check_hostname' => $tls?->checkHostname,
            ];
        }
        return $nodes;
    }
}
