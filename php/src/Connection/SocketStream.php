<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * PHP's stream functions for PubSubWaiter's own socket, with their warnings caught: OpenSSL and
 * the resolver say why a connection failed in warnings, which Failure reads.
 *
 * @internal
 */
final class SocketStream
{
    /**
     * A non-blocking stream to $endpoint (TCP, TLS or a unix socket).
     *
     * @return resource
     * @throws ConnectionFailed typed by Failure::connecting(): TLS, refused, unresolvable, timed out
     */
    public static function open(Endpoint $endpoint, float $connectTimeout)
    {
        $errno = 0;
        $errstr = '';
        $context = $endpoint->streamContext();
        if ($endpoint->transport !== Endpoint::UNIX) {
            // Results are small messages that must not sit in Nagle's buffer.
            $context['socket']['tcp_nodelay'] = true;
        }
        $stream = self::quietly(static function () use ($endpoint, $connectTimeout, $context, &$errno, &$errstr) {
            return stream_socket_client(
                $endpoint->streamUri(),
                $errno,
                $errstr,
                $connectTimeout,
                STREAM_CLIENT_CONNECT,
                stream_context_create($context),
            );
        }, $warning);
        if (!is_resource($stream)) {
            $why = $errstr !== '' ? $errstr : ($warning ?? 'unknown error');
            $detail = sprintf('cannot open a connection to wait for results (%s)', $why);
            throw Failure::connecting($endpoint, $detail, $warning === null ? [] : [$warning]);
        }
        stream_set_blocking($stream, false);
        return $stream;
    }

    /**
     * Runs a stream function with PHP warnings captured instead of emitted.
     *
     * @template T
     * @param callable(): T $call
     * @param-out string|null $warning
     * @return T
     */
    public static function quietly(callable $call, ?string &$warning = null): mixed
    {
        $warning = null;
        set_error_handler(static function (int $no, string $message) use (&$warning): bool {
            // Every one: OpenSSL's reasons come before the final "Unable to connect".
            $warning = $warning === null ? $message : $warning . '; ' . $message;
            return true;
        });
        try {
            return $call();
        } finally {
            restore_error_handler();
        }
    }
}
