<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\ConnectionTimedOut;
use CeleryBridge\Exception\OutOfMemory;
use CeleryBridge\Exception\ReadOnlyReplica;
use CeleryBridge\Exception\ServerNotReady;
use CeleryBridge\Exception\TlsFailed;

/**
 * Turns what phpredis or Predis reported into our exceptions. The phase decides what a failure
 * means: before anything was written (connecting), during the handshake (AUTH, SELECT, PING:
 * nothing changes on the server) or after a command was written (it may have run).
 *
 * @internal
 */
final class Failure
{
    /** Never sent twice: a task or a broadcast could arrive twice, and a purge run again would report 0. */
    public const ONCE = ['LPUSH', 'PUBLISH', 'MULTI'];

    /** Error reply codes (the first word of a "-" reply) that Redis sends. */
    private const REPLY_CODES = [
        'ERR', 'WRONGTYPE', 'NOAUTH', 'WRONGPASS', 'NOPERM', 'READONLY', 'OOM', 'LOADING', 'MASTERDOWN',
        'BUSY', 'TRYAGAIN', 'NOSCRIPT', 'EXECABORT', 'MISCONF', 'NOREPLICAS', 'CROSSSLOT', 'MOVED', 'ASK',
        'CLUSTERDOWN', 'UNBLOCKED', 'NOTBUSY', 'NOPROTO', 'BUSYKEY', 'NOGOODSLAVE', 'NOMASTERLINK',
    ];

    public static function isReply(string $message): bool
    {
        $word = strtok(ltrim($message, '-'), ' ');
        return $word !== false && in_array($word, self::REPLY_CODES, true);
    }

    /**
     * An error reply: the command was refused by the server and did not run.
     */
    public static function reply(Endpoint $endpoint, string $reply, ?\Throwable $previous = null): ConnectionFailed
    {
        $reply = rtrim(ltrim($reply, '-'), "\0\r\n");
        $server = $endpoint->describe();
        $code = (string) strtok($reply, ' ');
        $lower = strtolower($reply);
        return match (true) {
            $code === 'READONLY' => ReadOnlyReplica::at($server, $reply, $previous),
            $code === 'OOM' => OutOfMemory::at($server, $reply, $previous),
            $code === 'NOAUTH' => AuthenticationFailed::required($server, $reply, $previous),
            $code === 'NOPERM' => AuthenticationFailed::notPermitted($server, $endpoint->username, $reply, $previous),
            $code === 'WRONGPASS',
            str_contains($lower, 'invalid password'),
            str_contains($lower, 'without any password configured'),
            str_contains($lower, 'no password is set'),
            str_contains($lower, 'invalid username-password')
                => AuthenticationFailed::rejected($server, $endpoint->username, $reply, $previous),
            in_array($code, ['LOADING', 'MASTERDOWN', 'BUSY', 'TRYAGAIN', 'NOMASTERLINK'], true)
                => ServerNotReady::at($server, $reply, $previous),
            in_array($code, ['MOVED', 'ASK', 'CLUSTERDOWN', 'CROSSSLOT'], true) => ConnectionFailed::because(
                $server,
                sprintf('replied "%s": this is a Redis Cluster node. Celery cannot use Redis Cluster as a broker '
                    . '(kombu\'s Redis transport needs one keyspace and pub/sub); use a standalone server or Sentinel.', $reply),
                $previous,
            ),
            str_contains($lower, 'db index is out of range') => ConnectionFailed::because(
                $server,
                sprintf(
                    'replied "%s": the database %d in the URL does not exist there (the `databases` setting, 16 by default: 0 to 15).',
                    $reply,
                    $endpoint->database,
                ),
                $previous,
            ),
            default => ConnectionFailed::because($server, sprintf('replied "%s"; the command did not run.', $reply), $previous),
        };
    }

    /**
     * Opening the socket (TCP connect, TLS handshake, unix socket) failed: nothing was sent.
     *
     * @param list<string> $warnings PHP warnings raised meanwhile (OpenSSL puts its reasons there)
     */
    public static function connecting(
        Endpoint $endpoint,
        string $detail,
        array $warnings = [],
        ?\Throwable $previous = null,
    ): ConnectionFailed {
        $server = $endpoint->describe();
        $detail = self::clean($detail);
        $all = strtolower($detail . ' ' . implode(' ', $warnings));
        $mentions = static fn (string ...$words): bool
            => array_filter($words, static fn (string $w): bool => str_contains($all, $w)) !== [];
        if ($endpoint->transport === Endpoint::TLS && $mentions('ssl', 'crypto', 'went away', 'encrypted')) {
            return TlsFailed::handshake($server, self::missingFile($endpoint) ?? self::tlsReason($detail, $warnings), $previous);
        }
        if ($mentions('getaddrinfo', 'name or service not known', 'name resolution', 'nodename nor servname')) {
            return ConnectionRefused::unresolvable($server, $endpoint->host, $detail, $previous);
        }
        if ($mentions('timed out', 'timeout')) {
            return ConnectionTimedOut::connecting($server, $endpoint->connectTimeout, $previous);
        }
        return ConnectionRefused::at($server, $detail, $previous);
    }

    /**
     * An I/O failure (no reply in time, connection closed) after $command was written.
     *
     * @param bool $handshake whether $command was AUTH, SELECT, PING or ROLE (nothing changes)
     */
    public static function afterSending(
        Endpoint $endpoint,
        string $command,
        string $detail,
        float $elapsed,
        bool $handshake,
        ?\Throwable $previous = null,
    ): ConnectionFailed {
        $server = $endpoint->describe();
        $detail = self::clean($detail);
        // Neither client says whether a read failed by timeout or by EOF; the clock does.
        $timedOut = $elapsed >= $endpoint->readTimeout * 0.9 || str_contains(strtolower($detail), 'timed out');
        $ssl = $endpoint->streamContext()['ssl'] ?? [];
        if ($handshake && !$timedOut && $endpoint->transport === Endpoint::TLS && !isset($ssl['local_cert'])) {
            // With TLS 1.3 a server that wants a client certificate (tls-auth-clients yes)
            // completes the handshake, then closes the connection at the client's first command.
            return TlsFailed::handshake($server, sprintf(
                'the server closed the connection at the first command (%s, %s): it wants a client certificate '
                . '(tls-auth-clients yes); set ssl_certfile and ssl_keyfile',
                $command,
                $detail,
            ), $previous);
        }
        if ($handshake) {
            return $timedOut
                ? ConnectionTimedOut::noAnswer($server, $command, $endpoint->readTimeout, $previous)
                : ConnectionLost::duringHandshake($server, $command, $detail, $previous);
        }
        return ConnectionLost::afterSending($server, $command, $detail, $timedOut ? $endpoint->readTimeout : null, $previous);
    }

    /**
     * A socket failure of $command (ClientConnection::run()). When the caller's deadline cut the
     * socket's timeout ($bounded) and ran out, that is the failure, not the socket timeout; a
     * write that timed out (one of ONCE) stays ConnectionLost: whether it ran is unknown.
     */
    public static function ofCommand(
        Endpoint $endpoint,
        bool $bounded,
        string $command,
        #[\SensitiveParameter] \Throwable $e,
        float $elapsed,
        bool $handshake,
    ): ConnectionFailed {
        $once = in_array($command, self::ONCE, true);
        $failure = self::afterSending($endpoint, $command, $e->getMessage(), $elapsed, $handshake, self::scrub($e));
        if (!$bounded || !$failure instanceof ConnectionLost || !$failure->timedOut()) {
            return $failure;
        }
        $left = $endpoint->readTimeout;
        return $once
            ? ConnectionLost::beforeDeadline($endpoint->describe(), $command, $left, self::scrub($e))
            : ConnectionTimedOut::noAnswerBeforeDeadline($endpoint->describe(), $command, $left, self::scrub($e));
    }

    /**
     * Whether ClientConnection::run() sends $command once more, on a new connection, after
     * $failure broke a reused socket (the server restarted, Sentinel disconnected us): never a
     * command of ONCE, and never after a timeout.
     */
    public static function resendable(string $command, ConnectionFailed $failure): bool
    {
        return !in_array($command, self::ONCE, true) && $failure instanceof ConnectionLost && !$failure->timedOut();
    }

    /**
     * A reply that is not what $command gets from Redis (not RESP at all, or not its answer):
     * whatever listens there is not the Redis server the URL means.
     */
    public static function unexpectedReply(Endpoint $endpoint, string $command, string $what): ConnectionFailed
    {
        return ConnectionFailed::because($endpoint->describe(), sprintf(
            'answered %s with %s. Check that a Redis server listens there, and whether it expects TLS '
            . '(rediss://) or plain TCP (redis://).',
            $command,
            $what,
        ));
    }

    /**
     * The caller's deadline passed before $command was written whole: nothing ran.
     */
    public static function deadlineBeforeSending(Endpoint $endpoint, string $command): ConnectionFailed
    {
        return ConnectionTimedOut::deadline($endpoint->describe(), $command);
    }

    /**
     * A connection of ours that is already closed was asked to send $command: nothing ran.
     */
    public static function closed(Endpoint $endpoint, string $command, string $detail): ConnectionFailed
    {
        return ConnectionLost::duringHandshake($endpoint->describe(), $command, self::clean($detail));
    }

    /**
     * The client library's exception, safe to keep as `previous`: its class and message only.
     * The original holds what must not leak: Predis exceptions keep the connection with its
     * parameters (the password among them), and phpredis exceptions thrown by auth() keep the
     * password in their trace when zend.exception_ignore_args is off.
     */
    public static function scrub(#[\SensitiveParameter] \Throwable $e): \RuntimeException
    {
        return new \RuntimeException($e::class . ': ' . $e->getMessage(), (int) $e->getCode());
    }

    /** Strips Predis' " [tcp://host:port]" suffix and trailing dots. */
    public static function clean(string $detail): string
    {
        $detail = (string) preg_replace('#\s*\[(tcp|tls|unix|redis|rediss):[^\]]*\]$#', '', $detail);
        return rtrim(trim($detail), '.');
    }

    /**
     * The TLS file option naming a file PHP cannot read (OpenSSL only says the handshake failed).
     */
    private static function missingFile(Endpoint $endpoint): ?string
    {
        $ssl = $endpoint->streamContext()['ssl'] ?? [];
        $files = ['cafile' => 'ssl_ca_certs', 'local_cert' => 'ssl_certfile', 'local_pk' => 'ssl_keyfile'];
        foreach ($files as $key => $option) {
            $path = $ssl[$key] ?? null;
            if (is_string($path) && (!is_file($path) || !is_readable($path))) {
                return sprintf('%s names "%s", which %s', $option, $path, file_exists($path) ? 'cannot be read' : 'does not exist');
            }
        }
        $directory = $ssl['capath'] ?? null;
        if (is_string($directory) && !is_dir($directory)) {
            return sprintf('ssl_ca_path names "%s", which is not a directory', $directory);
        }
        return null;
    }

    /**
     * @param list<string> $warnings
     */
    private static function tlsReason(string $detail, array $warnings): string
    {
        foreach ($warnings as $warning) {
            if (preg_match('#error:[0-9A-F]+:SSL routines::([^\n]+?)(?: in /|$)#', $warning, $m) === 1) {
                return $m[1];
            }
        }
        foreach ($warnings as $warning) {
            if (stripos($warning, 'handshake timed out') !== false) {
                return 'handshake timed out: does this port serve TLS?';
            }
            if (stripos($warning, 'peer certificate CN') !== false || stripos($warning, 'did not match') !== false) {
                return trim(preg_replace('#^.*?\): #', '', $warning) ?? $warning);
            }
        }
        foreach ($warnings as $warning) {
            if (stripos($warning, 'ssl') !== false) {
                return trim(preg_replace('#^[^:]*\(\): #', '', $warning) ?? $warning);
            }
        }
        return $detail;
    }
}
