<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\AuthenticationFailed;

/**
 * The broker closed the channel (channel.close): 404 NOT_FOUND (a passive declare of something
 * missing, a publish to a missing exchange), 406 PRECONDITION_FAILED (a declaration that
 * differs from the existing entity) or 403 ACCESS_REFUSED (the user lacks the configure or
 * write permission). The connection stays usable; the next call opens a new channel. The
 * transport turns it into RoutingFailed, TopologyMismatch or AuthenticationFailed.
 *
 * @internal
 */
final class ChannelClosed extends \RuntimeException
{
    public const NOT_FOUND = 404;
    public const PRECONDITION_FAILED = 406;
    public const ACCESS_REFUSED = 403;

    public function __construct(public readonly int $replyCode, public readonly string $replyText, ?\Throwable $previous = null)
    {
        parent::__construct(sprintf('%d %s', $replyCode, $replyText), $replyCode, $previous);
    }

    /** A 403 as what it is: the user's permissions, not the topology; null for another code. */
    public function refused(string $server, string $what): ?AuthenticationFailed
    {
        return $this->replyCode === self::ACCESS_REFUSED ? AuthenticationFailed::atRabbitMq($server, sprintf(
            'permission refused to %s (%s): give the user configure, write and read permissions on the vhost '
            . '(rabbitmqctl set_permissions). Nothing was published.',
            $what,
            $this->replyText,
        )) : null;
    }
}
