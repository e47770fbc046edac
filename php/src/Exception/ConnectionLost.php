<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The connection broke, or no reply came in time, after a command had been written: the
 * command may or may not have run on the server.
 */
final class ConnectionLost extends ConnectionFailed
{
    private bool $timedOut = false;
    private bool $beforeCommand = false;

    /**
     * Whether it broke while a new connection was being set up (AUTH, SELECT, CLIENT SETNAME,
     * Sentinel's ROLE), before the caller's command was written: nothing of it ran.
     */
    public function beforeCommand(): bool
    {
        return $this->beforeCommand;
    }

    /** Whether no reply came within the read timeout (rather than the connection closing). */
    public function timedOut(): bool
    {
        return $this->timedOut;
    }

    public static function duringHandshake(string $server, string $command, string $detail, ?\Throwable $previous = null): self
    {
        $e = new self(sprintf(
            'Redis at %s closed the connection during %s (%s); nothing was changed. Check `maxclients`, '
            . 'whether the server expects TLS (rediss://) or plain TCP (redis://), and its log.',
            $server,
            $command,
            $detail,
        ), 0, $previous);
        $e->beforeCommand = true;
        return $e;
    }

    /**
     * A command that must not be repeated (LPUSH, PUBLISH, MULTI) got no reply before the
     * caller's deadline (task_publish_timeout).
     */
    public static function beforeDeadline(string $server, string $command, float $left, ?\Throwable $previous = null): self
    {
        $lost = new self(sprintf(
            'Redis at %s did not answer %s in the %s s left of the time given for this call '
            . '(task_publish_timeout); the command may or may not have run.',
            $server,
            $command,
            rtrim(rtrim(sprintf('%.3f', $left), '0'), '.'),
        ), 0, $previous);
        $lost->timedOut = true;
        return $lost;
    }

    /**
     * The command was written and a reply came, but not one that says what the command did.
     */
    public static function unreadableReply(string $server, string $command, string $detail, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s answered %s with a reply that cannot be read (%s); the command may or may not have run.',
            $server,
            $command,
            $detail,
        ), 0, $previous);
    }

    public static function afterSending(
        string $server,
        string $command,
        string $detail,
        ?float $timedOutAfter,
        ?\Throwable $previous = null,
    ): self {
        $what = $timedOutAfter === null
            ? sprintf('the connection broke after %s was sent (%s)', $command, $detail)
            : sprintf('no reply to %s within %s s (%s)', $command, rtrim(rtrim(sprintf('%.3f', $timedOutAfter), '0'), '.'), $detail);
        $lost = new self(sprintf(
            'Redis at %s: %s; the command may or may not have run.%s',
            $server,
            $what,
            ($timedOutAfter === null ? '' : ' Raise the read timeout (broker_transport_options socket_timeout, '
                . 'redis_socket_timeout) if the server is slow.') . (str_contains($server, '://') || str_starts_with($server, 'unix:')
                    ? ''
                    // A TLS port waits for a handshake: it never answers a plain command, or hangs up.
                    : ' If that port serves TLS (tls-port), the URL must be rediss://.'),
        ), 0, $previous);
        $lost->timedOut = $timedOutAfter !== null;
        return $lost;
    }
}
