<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\AmqpFailure;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\AmqpUrl;
use CeleryBridge\Connection\Amqp\PhpAmqpLibNode;
use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\TlsFailed;
use PHPUnit\Framework\TestCase;

/**
 * One reading of an AMQP library's error for the publisher and the control/queue/event channel,
 * on both libraries: which exception, what it tells to check, and whether the library's own
 * exception is kept (not php-amqplib's connect error: its trace holds the password).
 */
final class AmqpFailureTest extends TestCase
{
    public function testPhpAmqplibsHandshakeErrorsAreToldFromARefusedPort(): void
    {
        $tls = AmqpUrl::fromString('amqps://guest:guest@h:5671//')->nodes()[0];
        $settings = new AmqpSettings();
        self::assertTrue(PhpAmqpLibNode::handshakeFailed($tls, $settings, new \ErrorException('SSL: certificate verify failed')));
        self::assertTrue(PhpAmqpLibNode::handshakeFailed($tls, $settings, new \RuntimeException('TLS handshake timed out')));
        $refused = new \RuntimeException('Unable to connect to ssl://h:5671 (Connection refused)');
        self::assertFalse(PhpAmqpLibNode::handshakeFailed($tls, $settings, $refused));
        // A plain amqp:// node speaks no TLS: whatever the library says, it is not a handshake.
        $plain = AmqpUrl::fromString('amqp://guest:guest@h:5672//')->nodes()[0];
        self::assertFalse(PhpAmqpLibNode::handshakeFailed($plain, $settings, new \RuntimeException('handshake timed out')));
    }

    public function testARefusedLoginIsAuthenticationFailedWhenConnectingOrLater(): void
    {
        $error = new \RuntimeException('ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN.');
        foreach (['cannot connect', 'the connection failed'] as $what) {
            $failure = AmqpFailure::of($what, 'h:5672', $error, false);
            self::assertInstanceOf(AuthenticationFailed::class, $failure);
            self::assertStringContainsString('RabbitMQ at h:5672: ' . $what . ' (RuntimeException: ACCESS_REFUSED', $failure->getMessage());
            self::assertStringContainsString('Check the user, password and vhost', $failure->getMessage());
        }
    }

    public function testAHandshakeFailureIsTlsFailedOnlyWhileConnecting(): void
    {
        $error = new \ErrorException('stream_socket_client(): SSL operation failed with code 1');
        $tls = AmqpFailure::of('cannot connect', 'h:5671', $error, true);
        self::assertInstanceOf(TlsFailed::class, $tls);
        self::assertStringContainsString('amqps, 5671 by default', $tls->getMessage());
        self::assertInstanceOf(ConnectionLost::class, AmqpFailure::of('the connection failed', 'h:5671', $error, true));
    }

    public function testOtherwiseRefusedWhileConnectingAndLostAfter(): void
    {
        $error = new \RuntimeException('Connection refused');
        self::assertInstanceOf(ConnectionRefused::class, AmqpFailure::of('cannot connect', 'h:5672', $error, false));
        self::assertInstanceOf(ConnectionLost::class, AmqpFailure::of('the connection failed', 'h:5672', $error, false));
    }

    public function testTheLibraryExceptionIsKeptOnlyWhenAsked(): void
    {
        $error = new \RuntimeException('Connection refused');
        self::assertSame($error, AmqpFailure::of('cannot connect', 'h:5672', $error, false)->getPrevious());
        self::assertNull(AmqpFailure::of('cannot connect', 'h:5672', $error, false, false)->getPrevious());
    }
}
