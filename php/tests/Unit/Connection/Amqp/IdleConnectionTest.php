<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\IdleConnection;
use PHPUnit\Framework\TestCase;

/**
 * What closedByPeer() reads from a socket waiting between calls, on a socket pair: the bytes
 * RabbitMQ 3.10 sent for `rabbitmqctl close_all_connections test` (connection.close 320, then an
 * end of file) count as closed, heartbeats and connection.blocked do not.
 */
final class IdleConnectionTest extends TestCase
{
    private const HEARTBEAT = "\x08\x00\x00\x00\x00\x00\x00\xce";
    /** connection.close, CONNECTION_FORCED - test, as captured from RabbitMQ 3.10. */
    private const CLOSE = "\x01\x00\x00\x00\x00\x00\x23\x00\x0a\x00\x32\x01\x40\x18CONNECTION_FORCED - test\x00\x00\x00\x00\xce";
    /** connection.blocked "low on memory" (a resource alarm: the connection stays). */
    private const BLOCKED = "\x01\x00\x00\x00\x00\x00\x12\x00\x0a\x00\x3c\x0dlow on memory\xce";

    /**
     * @return iterable<string, array{string, bool, bool}> bytes waiting, whether the other end closed, closed?
     */
    public static function waiting(): iterable
    {
        yield 'nothing' => ['', false, false];
        yield 'a heartbeat' => [self::HEARTBEAT, false, false];
        yield 'connection.blocked' => [self::BLOCKED, false, false];
        yield 'an end of file' => ['', true, true];
        yield 'connection.close' => [self::CLOSE, false, true];
        yield 'heartbeats, then connection.close and an end of file' => [self::HEARTBEAT . self::HEARTBEAT . self::CLOSE, true, true];
        yield 'a heartbeat, then an end of file (unseen behind it)' => [self::HEARTBEAT, true, false];
    }

    /**
     * @dataProvider waiting
     */
    public function testWhatWaitsOnTheSocketSaysWhetherTheBrokerClosedIt(string $bytes, bool $endOfFile, bool $closed): void
    {
        [$ours, $broker] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP) ?: self::fail('socket pair');
        fwrite($broker, $bytes);
        if ($endOfFile) {
            fclose($broker);
        }
        self::assertSame($closed, IdleConnection::closedByPeer($ours));
        // Nothing was taken: the library still reads every byte.
        stream_set_blocking($ours, false);
        self::assertSame($bytes, (string) stream_get_contents($ours));
    }

    public function testAConnectionIsIdleFromItsLastUseOn(): void
    {
        $idle = new IdleConnection();
        self::assertFalse($idle->wasIdle(0.0), 'never used: nothing to check');
        self::assertTrue($idle->wasIdle(0.0));
        self::assertFalse($idle->wasIdle(3600.0));
    }
}
