<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Wire\BigInteger;

/**
 * The argsrepr/kwargsrepr headers: a port of celery.utils.saferepr.saferepr().
 *
 * Celery writes `saferepr(args, 1024, maxlevels=3)`: Python's repr, but strings always in single
 * quotes with only `'` escaped, containers deeper than 3 levels shown as `[...]`, and the text cut
 * at about 1024 characters with `, ...` and the closing brackets kept. Flower and the worker log
 * show these strings, so they should read exactly as if Python had sent the task.
 *
 * Input is normalized kombu JSON data (lists, stdClass maps, scalars, datetime markers).
 *
 * @internal
 */
final class PythonRepr
{
    public const MAX_LENGTH = 1024;
    public const MAX_LEVELS = 3;

    /**
     * send_task() keeps a list as given (`[2, 3]`) but replaces an empty one by `()`.
     *
     * @param list<mixed> $args
     */
    public static function args(array $args): string
    {
        return $args === [] ? '()' : self::saferepr($args, self::MAX_LENGTH, self::MAX_LEVELS);
    }

    public static function kwargs(\stdClass $kwargs): string
    {
        return self::saferepr($kwargs, self::MAX_LENGTH, self::MAX_LEVELS);
    }

    public static function saferepr(mixed $value, ?int $maxlen = null, int $maxlevels = self::MAX_LEVELS): string
    {
        $stack = new \SplQueue();
        $stack->enqueue(self::chain([$value]));
        $out = '';
        foreach (self::stream($stack, $maxlevels) as [$token, $rest]) {
            if ($maxlen !== null && $maxlen <= 0) {
                if ($token instanceof ReprToken && $token->kind === ReprToken::LITERAL && $token->direction < 0) {
                    // The cut value was the last of its container: just close it.
                    $out .= $token->value;
                    continue;
                }
                $out .= ', ...';
                $stack->enqueue(self::chain([$token], $rest));
                break;
            }
            $text = self::render($token, $maxlen, $maxlevels);
            $out .= $text;
            if ($maxlen !== null) {
                $maxlen -= mb_strlen($text);
            }
        }
        return $out . self::danglingClosers($stack);
    }

    /**
     * Python's str() of a float.
     */
    public static function float(float $value): string
    {
        return PythonScalarRepr::float($value);
    }

    /**
     * Celery's truncate(): cut at maxlen, back to the last space, and add "...".
     */
    public static function truncate(string $text, ?int $maxlen): string
    {
        if ($maxlen !== null && $maxlen > 0 && mb_strlen($text) >= $maxlen) {
            $head = mb_substr($text, 0, $maxlen);
            $space = mb_strrpos($head, ' ');
            return ($space === false ? $head : mb_substr($head, 0, $space)) . '...';
        }
        return $text;
    }

    private static function render(mixed $token, ?int $maxlen, int $maxlevels): string
    {
        if ($token instanceof ReprToken) {
            return match ($token->kind) {
                ReprToken::LITERAL => $token->value,
                ReprToken::KEY => self::saferepr($token->value, $maxlen, $maxlevels),
                default => "'" . str_replace("'", "\\'", self::truncate($token->value, $maxlen)) . "'",
            };
        }
        return self::truncate($token, $maxlen);
    }

    /**
     * Yields [token, rest-of-stream] pairs, like celery.utils.saferepr.reprstream().
     */
    private static function stream(\SplQueue $stack, int $maxlevels): \Generator
    {
        $level = 0;
        while (!$stack->isEmpty()) {
            $items = $stack->dequeue();
            while ($items->valid()) {
                $value = $items->current();
                $items->next();
                if ($value instanceof ReprToken) {
                    if ($value->kind === ReprToken::LITERAL) {
                        $level += $value->direction;
                    }
                    yield [$value, $items];
                    continue;
                }
                $scalar = self::scalar($value);
                if ($scalar !== null) {
                    yield [$scalar, $items];
                    continue;
                }
                [$open, $close, $children] = self::container($value);
                if ($level >= $maxlevels) {
                    // One literal, so that the length limit can never split it.
                    yield [ReprToken::literal($open . '...' . $close, false, 0), $items];
                    continue;
                }
                $stack->enqueue(self::chain(
                    [ReprToken::literal($open, false, 1)],
                    $children,
                    [ReprToken::literal($close, false, -1)],
                    $items,
                ));
                break;
            }
        }
    }

    /**
     * The text of a value that is not a container, or null for lists and maps.
     */
    private static function scalar(mixed $value): string|ReprToken|null
    {
        return match (true) {
            $value === null => 'None',
            $value === true => 'True',
            $value === false => 'False',
            is_int($value) => (string) $value,
            is_float($value) => PythonScalarRepr::float($value),
            is_string($value) => ReprToken::quoted($value),
            $value instanceof BigInteger => $value->digits,
            $value instanceof \stdClass && ($value->__type__ ?? null) === 'datetime' => PythonScalarRepr::datetimeMarker($value),
            default => null,
        };
    }

    /**
     * @return array{string, string, \Generator}
     */
    private static function container(mixed $value): array
    {
        if (is_array($value)) {
            return ['[', ']', self::listItems($value)];
        }
        return ['{', '}', self::mapItems(get_object_vars($value))];
    }

    /**
     * @param list<mixed> $list
     */
    private static function listItems(array $list): \Generator
    {
        $last = count($list) - 1;
        foreach ($list as $i => $item) {
            yield $item;
            if ($i < $last) {
                yield ReprToken::literal(', ', true, 0);
            }
        }
    }

    /**
     * @param array<array-key, mixed> $map
     */
    private static function mapItems(array $map): \Generator
    {
        $last = count($map) - 1;
        $i = 0;
        foreach ($map as $key => $item) {
            yield ReprToken::key((string) $key);
            yield ReprToken::literal(': ', true, 0);
            yield $item;
            if ($i++ < $last) {
                yield ReprToken::literal(', ', true, 0);
            }
        }
    }

    /**
     * Closing brackets of the containers that were open when the length limit was hit.
     */
    private static function danglingClosers(\SplQueue $stack): string
    {
        $out = '';
        $depth = 0;
        foreach ($stack as $rest) {
            foreach (self::chain($rest) as $item) {
                if ($item instanceof ReprToken && $item->kind === ReprToken::LITERAL && !$item->truncatable) {
                    $depth += $item->direction;
                    if ($depth < 0) {
                        $depth = 0;
                        $out .= $item->value;
                    }
                }
            }
        }
        return $out;
    }

    /**
     * Iterates its parts in turn; an Iterator part continues from where it was left.
     *
     * @param iterable<mixed> ...$parts
     */
    private static function chain(iterable ...$parts): \Generator
    {
        foreach ($parts as $part) {
            if ($part instanceof \Iterator) {
                while ($part->valid()) {
                    $item = $part->current();
                    $part->next();
                    yield $item;
                }
                continue;
            }
            foreach ($part as $item) {
                yield $item;
            }
        }
    }
}
