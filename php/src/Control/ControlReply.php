<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

/**
 * One worker's answer to a control command (rate_limit, pool_grow, ...). Celery's handlers
 * answer {"ok": <message>} when they did it and {"error": <message>} when they refused (a
 * disabled feature, a bad argument, an unknown command: the worker's pidbox replies with the
 * exception's repr, e.g. "ValueError('Pool restarts not enabled')").
 */
final class ControlReply
{
    /**
     * @param mixed $reply the reply as the worker sent it
     */
    public function __construct(
        public readonly string $node,
        public readonly bool $ok,
        public readonly string $message,
        public readonly mixed $reply,
    ) {
    }

    /**
     * @internal
     */
    public static function fromReply(string $node, mixed $reply): self
    {
        if (is_array($reply) && array_key_exists('error', $reply)) {
            return new self($node, false, self::text($reply['error']), $reply);
        }
        if (is_array($reply) && array_key_exists('ok', $reply)) {
            return new self($node, true, self::text($reply['ok']), $reply);
        }
        // Custom commands may answer anything: an answer without "error" is a success.
        return new self($node, true, self::text($reply), $reply);
    }

    private static function text(mixed $value): string
    {
        return is_string($value) ? $value : (string) json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }
}
