<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

/**
 * The broker closed the channel (channel.close): 404 NOT_FOUND (a passive declare of something
 * missing, a publish to a missing exchange) or 406 PRECONDITION_FAILED (a declaration that
 * differs from the existing entity). The connection stays usable; the next call opens a new
 * channel. The transport turns it into RoutingFailed or TopologyMismatch.
 *
 * @internal
 */
final class ChannelClosed extends \RuntimeException
{
    public const NOT_FOUND = 404;
    public const PRECONDITION_FAILED = 406;

    public function __construct(public readonly int $replyCode, public readonly string $replyText, ?\Throwable $previous = null)
    {
        parent::__construct(sprintf('%d %s', $replyCode, $replyText), $replyCode, $previous);
    }
}
