<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

/**
 * One token of Celery's streaming saferepr: literal text, a dict key, or a quoted string.
 *
 * @internal
 */
final class ReprToken
{
    public const LITERAL = 0;
    public const KEY = 1;
    public const QUOTED = 2;

    private function __construct(
        public readonly int $kind,
        public readonly mixed $value,
        public readonly bool $truncatable = false,
        public readonly int $direction = 0,
    ) {
    }

    public static function literal(string $text, bool $truncatable, int $direction): self
    {
        return new self(self::LITERAL, $text, $truncatable, $direction);
    }

    public static function key(string $key): self
    {
        return new self(self::KEY, $key);
    }

    public static function quoted(string $text): self
    {
        return new self(self::QUOTED, $text);
    }
}
