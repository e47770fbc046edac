<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\AmqpUrl;
use CeleryBridge\Exception\InvalidBrokerUrl;
use PHPUnit\Framework\TestCase;

/**
 * RabbitMQ broker URLs read as kombu reads them (kombu.utils.url + the pyamqp transport's
 * defaults), and the password never shown.
 */
final class AmqpUrlTest extends TestCase
{
    /**
     * @return iterable<string, array{string, string, int, string, string, string, bool}>
     */
    public static function urls(): iterable
    {
        // url => host, port, user, password, vhost, ssl
        yield 'kombu defaults' => ['amqp://', 'localhost', 5672, 'guest', 'guest', '/', false];
        yield 'double slash is vhost /' => ['amqp://u:p@h:5673//', 'h', 5673, 'u', 'p', '/', false];
        yield 'percent-encoded /' => ['amqp://u:p@h/%2F', 'h', 5672, 'u', 'p', '/', false];
        yield 'empty path falls back to /' => ['amqp://u:p@h/', 'h', 5672, 'u', 'p', '/', false];
        yield 'named vhost' => ['amqp://u:p@h/prod', 'h', 5672, 'u', 'p', 'prod', false];
        yield 'encoded vhost' => ['amqp://u:p@h/a%2Fb', 'h', 5672, 'u', 'p', 'a/b', false];
        yield 'amqps default port' => ['amqps://u:p@h//', 'h', 5671, 'u', 'p', '/', true];
        yield 'ssl in the query' => ['amqp://u:p@h//?ssl=true', 'h', 5671, 'u', 'p', '/', true];
        yield 'pyamqp is amqp' => ['pyamqp://u:p@h:5672//', 'h', 5672, 'u', 'p', '/', false];
        yield 'librabbitmq is amqp' => ['librabbitmq://u:p@h//', 'h', 5672, 'u', 'p', '/', false];
        yield 'encoded password' => ['amqp://u:p%40ss%2Fw@h//', 'h', 5672, 'u', 'p@ss/w', '/', false];
        yield 'user only keeps the default password' => ['amqp://u@h//', 'h', 5672, 'u', 'guest', '/', false];
        yield 'IPv6' => ['amqp://u:p@[::1]:5673//', '::1', 5673, 'u', 'p', '/', false];
    }

    /**
     * @dataProvider urls
     */
    public function testItIsReadAsKombuReadsIt(
        string $url,
        string $host,
        int $port,
        string $user,
        string $password,
        string $vhost,
        bool $ssl,
    ): void {
        $parsed = AmqpUrl::fromString($url);

        self::assertSame([$host, $port, $user, $password, $vhost, $ssl], [
            $parsed->host, $parsed->port, $parsed->user, $parsed->password(), $parsed->vhost, $parsed->ssl,
        ]);
    }

    public function testTheQueryOptionsAreRead(): void
    {
        $url = AmqpUrl::fromString('amqp://h//?heartbeat=30&connect_timeout=2.5');

        self::assertSame([30, 2.5], [$url->heartbeat, $url->connectTimeout]);
    }

    public function testAFailoverListIsWalkedInOrder(): void
    {
        $lists = ['amqp://u:p@a:1//;amqp://u:q@b:2//;pyamqp://c', ['amqp://u:p@a:1//', 'amqp://u:q@b:2//', 'pyamqp://c']];
        foreach ($lists as $list) {
            $nodes = AmqpUrl::fromString($list)->nodes();

            self::assertSame(['a:1', 'b:2', 'c:5672'], array_map(static fn (AmqpUrl $n): string => $n->server(), $nodes));
            self::assertSame('q', $nodes[1]->password());
        }
    }

    public function testThePasswordIsNeverShown(): void
    {
        $url = AmqpUrl::fromString('amqp://user:s3cr3t@h:5672/v;amqp://user:0ther@h2//');

        self::assertStringNotContainsString('s3cr3t', (string) $url);
        self::assertStringNotContainsString('0ther', (string) $url);
        self::assertStringNotContainsString('s3cr3t', print_r($url, true));
        self::assertStringNotContainsString('s3cr3t', var_export($url, true));
        self::assertSame('amqp://user:****@h:5672/v;amqp://user:****@h2:5672/%2F', (string) $url);
    }

    /**
     * @return iterable<string, array{string, string}>
     */
    public static function invalid(): iterable
    {
        yield 'bad port' => ['amqp://u:s3cr3t@h:99999//', 'port'];
        yield 'unknown option' => ['amqp://u:s3cr3t@h//?frame_max=1', 'the option "frame_max"'];
        yield 'bad heartbeat' => ['amqp://u:s3cr3t@h//?heartbeat=soon', 'heartbeat'];
        yield 'heartbeat beyond 16 bits' => ['amqp://u:s3cr3t@h//?heartbeat=70000', 'up to 65535'];
        yield 'huge heartbeat' => ['amqp://u:s3cr3t@h//?heartbeat=99999999999999999999', 'up to 65535'];
        yield 'infinite connect_timeout' => ['amqp://u:s3cr3t@h//?connect_timeout=1e400', 'connect_timeout'];
        yield 'redis in an AMQP list' => ['amqp://u:s3cr3t@h//;redis://h', 'the scheme "redis"'];
        yield 'empty entry' => ['amqp://u:s3cr3t@h//;', 'entry 2'];
    }

    /**
     * @dataProvider invalid
     */
    public function testABadUrlIsRefusedNamingThePartAndMaskingThePassword(string $url, string $part): void
    {
        try {
            AmqpUrl::fromString($url);
            self::fail('no exception');
        } catch (InvalidBrokerUrl $e) {
            self::assertStringContainsString($part, $e->getMessage());
            self::assertStringContainsString('AMQP URL', $e->getMessage());
            self::assertStringNotContainsString('s3cr3t', $e->getMessage());
        }
    }

    public function testOnlyAmqpSchemesAreAmqp(): void
    {
        self::assertTrue(AmqpUrl::isAmqp('AMQP://h'));
        self::assertTrue(AmqpUrl::isAmqp(['pyamqp://h', 'amqp://h2']));
        self::assertFalse(AmqpUrl::isAmqp('redis://h'));
        self::assertFalse(AmqpUrl::isAmqp('sentinel://h:26379'));
    }
}
