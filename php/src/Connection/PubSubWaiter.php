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
 * Deadlines are absolute readings of the Clock it is given; null waits without limit. Every
 * failure is typed through Failure, as every other connection's.
 *
 * @internal
 */
final class PubSubWaiter
{
    private const CHUNK = 65536;

    /** @var resource|null */
    private $stream;

    private readonly RespReader $replies;

    /** The last command sent: what a failure to read its reply is told against. */
    private string $command = 'SUBSCRIBE';

    /**
     * @param resource $stream
     */
    private function __construct($stream, private readonly Endpoint $endpoint, private readonly Clock $clock)
    {
        $this->stream = $stream;
        $this->replies = new RespReader($endpoint);
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
     * @param Clock|null $clock what $deadline is a reading of (the system clock by default)
     * @throws ConnectionFailed
     */
    public static function subscribe(Endpoint $endpoint, array $channels, ?float $deadline, ?Clock $clock = null): ?self
    {
        $clock ??= Clock::system();
        if ($channels === []) {
            throw new \LogicException('Nothing to subscribe to.');
        }
        $connectTimeout = $endpoint->connectTimeout;
        if ($deadline !== null) {
            // Connecting counts against the caller's time, but a near deadline must not turn
            // into a misleading "cannot connect".
            $connectTimeout = max(0.05, min($connectTimeout, $clock->left($deadline)));
        }
        $stream = SocketStream::open($endpoint, $connectTimeout);
        $waiter = new self($stream, $endpoint, $clock);
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
                throw Failure::unexpectedReply($this->endpoint, 'SUBSCRIBE', 'a reply that does not confirm it');
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
            SocketStream::quietly(static fn () => fclose($stream), $ignored);
        }
        $this->stream = null;
        $this->replies->clear();
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
            $written = SocketStream::quietly(static fn () => fwrite($stream, $command), $warning);
            if ($written === false) {
                // AUTH, CLIENT SETNAME, (UN)SUBSCRIBE change nothing: a handshake's loss, as in reply().
                $detail = sprintf('the write failed: %s', $warning ?? 'connection closed');
                throw Failure::afterSending($this->endpoint, $this->command, $detail, 0.0, true);
            }
            $command = (string) substr($command, $written);
            if ($command !== '' && !$this->select(false, $deadline)) {
                throw Failure::deadlineBeforeSending($this->endpoint, $this->command);
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
        while (!$this->replies->next($this->command, $reply)) {
            // TLS streams may hold decrypted bytes that select() cannot see: read before waiting.
            $stream = $this->stream();
            $chunk = SocketStream::quietly(static fn () => fread($stream, self::CHUNK), $warning);
            if (is_string($chunk) && $chunk !== '') {
                $this->replies->feed($chunk);
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
        return true;
    }

    /**
     * Waits until the stream is readable (or writable); false once the deadline has passed.
     */
    private function select(bool $read, ?float $deadline): bool
    {
        $seconds = null;
        $micros = 0;
        if ($deadline !== null) {
            $left = $this->clock->left($deadline);
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
        SocketStream::quietly(static fn () => stream_select($readers, $writers, $except, $seconds, $micros), $warning);
        return true;
    }

    /**
     * @return resource
     */
    private function stream()
    {
        return $this->stream
            ?? throw Failure::closed($this->endpoint, $this->command, 'the connection waiting for results was closed before');
    }
}
