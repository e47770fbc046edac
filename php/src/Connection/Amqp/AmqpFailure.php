<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\TlsFailed;

/**
 * What an AMQP library's exception means, for both libraries and for both the publisher and
 * the control/queue/event channel: a refused login, a failed TLS handshake, a refused connect
 * (the next node of a failover list is worth a try) or a connection lost later.
 *
 * @internal
 */
final class AmqpFailure
{
    private function __construct()
    {
    }

    /**
     * @param string $what 'cannot connect' (nothing was sent: the next node may answer) or 'the
     *        connection failed' (lost after it was made)
     * @param bool $handshake whether the library's error is a TLS handshake failure (each library says it its own way)
     * @param bool $chain keep $e as the previous exception (not for php-amqplib's connect: its
     *        trace holds the connect frames, whose arguments include the password)
     */
    public static function of(string $what, string $server, \Throwable $e, bool $handshake, bool $chain = true): ConnectionFailed
    {
        $class = substr((string) strrchr('\\' . $e::class, '\\'), 1);
        $text = sprintf('%s (%s: %s).', $what, $class, $e->getMessage());
        $previous = $chain ? $e : null;
        // A wrong user, password or vhost stays wrong however often it is tried.
        if (str_contains($e->getMessage(), 'ACCESS_REFUSED') || str_contains($e->getMessage(), 'NOT_ALLOWED')) {
            return AuthenticationFailed::atRabbitMq($server, $text . ' Check the user, password and vhost of the broker URL.', $previous);
        }
        if ($what === 'cannot connect' && $handshake) {
            return TlsFailed::atRabbitMq($server, $text . ' Check that the port speaks TLS (amqps, 5671 by default) and '
                . 'the certificate settings (broker_use_ssl: ca_certs, cert_reqs).', $previous);
        }
        return $what === 'cannot connect'
            ? ConnectionRefused::atRabbitMq($server, $text, $previous)
            : ConnectionLost::atRabbitMq($server, $text, $previous);
    }
}
