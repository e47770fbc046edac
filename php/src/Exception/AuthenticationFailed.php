<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * Redis rejected the credentials (or needs some, or the ACL user may not run a command).
 * Messages name the user, never the password.
 */
final class AuthenticationFailed extends ConnectionFailed
{
    public static function rejected(string $server, ?string $username, string $reply, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s rejected the credentials of %s (%s). Check the user and password in the URL: '
            . 'redis://:password@host for `requirepass`, redis://user:password@host for an ACL user, '
            . 'with special characters percent-encoded (@ as %%40, : as %%3A, / as %%2F).',
            $server,
            $username === null ? 'the default user' : sprintf('user "%s"', $username),
            $reply,
        ), 0, $previous);
    }

    public static function required(string $server, string $reply, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s requires a password (%s). Put it in the URL: redis://:password@host:port/db, '
            . 'or redis://user:password@host:port/db for an ACL user.',
            $server,
            $reply,
        ), 0, $previous);
    }

    public static function notPermitted(string $server, ?string $username, string $reply, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s: %s may not run this command (%s). Celery needs the commands LPUSH, PUBLISH, '
            . 'GET, MGET, SET, SETEX, DEL, LLEN, SMEMBERS, PING, SELECT, SUBSCRIBE on its keys and '
            . 'channels: check the ACL rules (ACL GETUSER).',
            $server,
            $username === null ? 'the default user' : sprintf('user "%s"', $username),
            $reply,
        ), 0, $previous);
    }
}
