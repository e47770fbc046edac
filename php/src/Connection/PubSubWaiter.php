<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * A SUBSCRIBE connection, spoken in RESP2 over a PHP stream, kept for the next wait of the same
 * backend in the same process (UNSUBSCRIBE between waits) so that get() need not connect again.
 *
 * Celery's Redis backend stores a result with `SETEX key ...; PUBLISH key ...` in one MULTI, so
 * a reader that is subscribed *before* it GETs the key either sees the value or receives the
 * message: it cannot miss a result. phpredis's subscribe() offers no point between "subscribed"
 * and "waiting", hence this tiny client. It only ever subscribes; the caller's main connection
 * never enters subscribed mode and stays usable.
 *
 * Deadlines are absolute, in Clock::now() seconds; null waits without limit.
 *
 * @internal
 */
final class PubSubWaiter
{
    private const CHUNK = 65536;

    /** @var resource|null */
    private $stream;

    private string $buffer = '';

    /**
     * @param resource $stream
     */
    private readonly string $server;
    /** The last command sent: what a failure to read its reply is told against. */
    private string $command = 'SUBSCRIBE';

    private function __construct($stream, private readonly Endpoint $endpoint)
    {
        $this->stream = $stream;
        $this->server = $endpoint->describe();
    }

    public function __destruct()
    {
        $this->close();
    }

    /**
     * Connects, authenticates and subscribes; returns once Redis has confirmed every channel,
     * or null if the deadline passed first.
     *
     * @param list<string> $channels
     * @throws ConnectionFailed
     */
    public static function subscribe(Endpoint $endpoint, array $channels, ?float $deadline): ?self
    {
        if ($channels === []) {
            throw new \LogicException('Nothing to subscribe to.');
        }
        $connectTimeout = $endpoint->connectTimeout;
        if ($deadline !== null) {
            // Connecting counts against the caller's time, but a near deadline must not turn
            // into a misleading "cannot connect".
            $connectTimeout = max(0.05, min($connectTimeout, $deadline - Clock::now()));
        }
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
            // Typed as every other connection's failure: TLS, refused, unresolvable, timed out.
            $why = $errstr !== '' ? $errstr : ($warning ?? 'unknown error');
            $detail = sprintf('cannot open a connection to wait for results (%s)', $why);
            throw Failure::connecting($endpoint, $detail, $warning === null ? [] : [$warning]);
        }
        stream_set_blocking($stream, false);
        $waiter = new self($stream, $endpoint);
        try {
            if ($endpoint->password() !== null) {
                $auth = $endpoint->username !== null
                    ? ['AUTH', $endpoint->username, $endpoint->password()]
                    : ['AUTH', $endpoint->password()];
                $waiter->send($auth, $deadline);
                if (!$waiter->reply($deadline, $reply)) {
                    $waiter->close();
                    return null;
                }
                if ($reply !== 'OK') {
                    throw Failure::reply($endpoint, 'ERR AUTH was not accepted for the result wait');
                }
            }
            if ($endpoint->clientName !== null) {
                $waiter->send(['CLIENT', 'SETNAME', $endpoint->clientName], $deadline);
                if (!$waiter->reply($deadline, $reply)) {
                    $waiter->close();
                    return null;
                }
            }
            if (!$waiter->listen($channels, $deadline)) {
                $waiter->close();
                return null;
            }
        } catch (\Throwable $e) {
            $waiter->close();
            throw $e;
        }
        return $waiter;
    }

    /**
     * SUBSCRIBE to more channels; returns once Redis has confirmed every one, false if the
     * deadline passed first (the connection is then unusable: close it).
     *
     * @param list<string> $channels
     * @throws ConnectionFailed
     */
    public function listen(array $channels, ?float $deadline): bool
    {
        $this->send(['SUBSCRIBE', ...$channels], $deadline);
        $pending = array_fill_keys($channels, true);
        while ($pending !== []) {
            if (!$this->reply($deadline, $reply)) {
                return false;
            }
            if (!is_array($reply) || !in_array($reply[0] ?? null, ['subscribe', 'unsubscribe', 'message'], true)) {
                throw ConnectionFailed::because($this->server, 'unexpected reply to SUBSCRIBE.');
            }
            // Confirmations of the previous wait's UNSUBSCRIBE, and messages that came in before
            // all channels were confirmed, carry nothing the caller's GET after this will miss.
            if ($reply[0] === 'subscribe' && is_string($reply[1] ?? null)) {
                unset($pending[$reply[1]]);
            }
        }
        return true;
    }

    /**
     * UNSUBSCRIBE from every channel, without waiting for the confirmations (listen() skips them),
     * so the connection can serve the next wait.
     *
     * @throws ConnectionFailed
     */
    public function unlisten(): void
    {
        $this->send(['UNSUBSCRIBE'], null);
    }

    public function isOpen(): bool
    {
        return is_resource($this->stream);
    }

    /**
     * The next published message as [channel, payload], or null when the deadline passes first.
     *
     * @return array{string, string}|null
     * @throws ConnectionFailed
     */
    public function next(?float $deadline): ?array
    {
        while ($this->reply($deadline, $reply)) {
            if (is_array($reply) && count($reply) === 3 && $reply[0] === 'message' && is_string($reply[1]) && is_string($reply[2])) {
                return [$reply[1], $reply[2]];
            }
            // Anything else (a late confirmation) carries no result.
        }
        return null;
    }

    public function close(): void
    {
        if (is_resource($this->stream)) {
            $stream = $this->stream;
            self::quietly(static fn () => fclose($stream), $ignored);
        }
        $this->stream = null;
        $this->buffer = '';
    }

    /**
     * @param list<string> $arguments
     */
    private function send(array $arguments, ?float $deadline): void
    {
        $this->command = $arguments[0];
        $command = '*' . count($arguments) . "\r\n";
        foreach ($arguments as $argument) {
            $command .= '$' . strlen($argument) . "\r\n" . $argument . "\r\n";
        }
        while ($command !== '') {
            $stream = $this->stream();
            $written = self::quietly(static fn () => fwrite($stream, $command), $warning);
            if ($written === false) {
                throw ConnectionFailed::because($this->server, sprintf('write failed (%s).', $warning ?? 'connection closed'));
            }
            $command = (string) substr($command, $written);
            if ($command !== '' && !$this->select(false, $deadline)) {
                throw ConnectionFailed::because($this->server, 'timed out while writing.');
            }
        }
    }

    /**
     * Reads one complete RESP2 reply into $reply, waiting for more bytes as needed.
     * Returns false when the deadline passed first.
     *
     * @param-out mixed $reply
     * @throws ConnectionFailed
     */
    private function reply(?float $deadline, mixed &$reply): bool
    {
        $reply = null;
        while (true) {
            $offset = 0;
            $parsed = $this->parse($offset);
            if ($offset > 0) {
                $this->buffer = (string) substr($this->buffer, $offset);
                $reply = $parsed;
                return true;
            }
            // TLS streams may hold decrypted bytes that select() cannot see: read before waiting.
            $stream = $this->stream();
            $chunk = self::quietly(static fn () => fread($stream, self::CHUNK), $warning);
            if (is_string($chunk) && $chunk !== '') {
                $this->buffer .= $chunk;
                continue;
            }
            if ($chunk === false || feof($stream)) {
                // AUTH, CLIENT SETNAME and SUBSCRIBE change nothing: told as a handshake's loss
                // (or TlsFailed, for a TLS server that wants a client certificate).
                throw Failure::afterSending(
                    $this->endpoint,
                    $this->command,
                    sprintf('the connection waiting for results was closed: %s', $warning ?? 'end of stream'),
                    // End of stream, not a timeout (a wait may well last longer than the read timeout).
                    0.0,
                    true,
                );
            }
            if (!$this->select(true, $deadline)) {
                return false;
            }
        }
    }

    /**
     * Parses one reply at $offset; leaves $offset at 0 when the buffer holds no complete reply.
     *
     * @throws ConnectionFailed on an error reply or a protocol violation
     */
    private function parse(int &$offset): mixed
    {
        $end = strpos($this->buffer, "\r\n", $offset);
        if ($end === false) {
            $offset = 0;
            return null;
        }
        $type = $this->buffer[$offset] ?? '';
        $line = substr($this->buffer, $offset + 1, $end - $offset - 1);
        $offset = $end + 2;
        switch ($type) {
            case '+':
                return $line;
            case '-':
                // An error reply (WRONGPASS, NOAUTH, NOPERM, ...) typed as for every other connection.
                throw Failure::reply($this->endpoint, $line);
            case ':':
                return (int) $line;
            case '$':
                $length = (int) $line;
                if ($length < 0) {
                    return null;
                }
                if (strlen($this->buffer) < $offset + $length + 2) {
                    $offset = 0;
                    return null;
                }
                $value = substr($this->buffer, $offset, $length);
                $offset += $length + 2;
                return $value;
            case '*':
                $count = (int) $line;
                if ($count < 0) {
                    return null;
                }
                $items = [];
                for ($i = 0; $i < $count; $i++) {
                    $item = $this->parse($offset);
                    if ($offset === 0) {
                        return null;
                    }
                    $items[] = $item;
                }
                return $items;
            default:
                throw ConnectionFailed::because($this->server, 'the result wait received data that is not RESP.');
        }
    }

    /**
     * Waits until the stream is readable (or writable); false once the deadline has passed.
     */
    private function select(bool $read, ?float $deadline): bool
    {
        $seconds = null;
        $micros = 0;
        if ($deadline !== null) {
            $left = $deadline - Clock::now();
            if ($left <= 0) {
                return false;
            }
            $seconds = (int) floor($left);
            $micros = min(999999, (int) ceil(($left - $seconds) * 1e6));
        }
        $readers = $read ? [$this->stream()] : [];
        $writers = $read ? [] : [$this->stream()];
        $except = [];
        // A signal (EINTR) makes this return false; the caller's loop then tries again.
        self::quietly(static fn () => stream_select($readers, $writers, $except, $seconds, $micros), $warning);
        return true;
    }

    /**
     * @return resource
     */
    private function stream()
    {
        return $this->stream ?? throw ConnectionFailed::because($this->server, 'the result wait connection is closed.');
    }

    /**
     * Runs a stream function with PHP warnings captured instead of emitted.
     *
     * @template T
     * @param callable(): T $call
     * @param-out string|null $warning
     * @return T
     */
    private static function quietly(callable $call, ?string &$warning = null): mixed
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
