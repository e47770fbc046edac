<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The TLS handshake failed: the certificate could not be verified, the names did not match, or
 * the server does not speak TLS on that port. Nothing was sent.
 */
final class TlsFailed extends ConnectionFailed
{
    public static function handshake(string $server, string $detail, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'TLS handshake with Redis at %s failed (%s). Check ssl_ca_certs (the CA that signed the '
            . 'server certificate), that the host in the URL is a name in the certificate, '
            . 'ssl_certfile/ssl_keyfile if the server wants client certificates (tls-auth-clients), '
            . 'and that this port serves TLS (tls-port). ssl_cert_reqs=none skips verification.',
            $server,
            $detail,
        ), 0, $previous);
    }
}
