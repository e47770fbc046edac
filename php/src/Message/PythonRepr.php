<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Wire\BigInteger;
use CeleryBridge\Wire\PythonTime;

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
     * Python's str() of a float (the shortest text that reads back to the same double).
     */
    public static function float(float $value): string
    {
        if (is_nan($value)) {
            return 'nan';
        }
        if (is_infinite($value)) {
            return $value > 0 ? 'inf' : '-inf';
        }
        $sign = ($value < 0 || ($value === 0.0 && fdiv(1, $value) < 0)) ? '-' : '';
        $value = abs($value);
        if ($value === 0.0) {
            return $sign . '0.0';
        }
        for ($precision = 0; $precision < 17; $precision++) {
            $sci = sprintf('%.' . $precision . 'e', $value);
            if ((float) $sci === $value) {
                break;
            }
        }
        [$mantissa, $exponent] = explode('e', $sci);
        $digits = rtrim(str_replace('.', '', $mantissa), '0');
        $exponent = (int) $exponent;
        if ($exponent < -4 || $exponent >= 16) {
            $fraction = substr($digits, 1);
            $fraction = $fraction === '' ? '' : '.' . $fraction;
            return sprintf('%s%s%se%s%02d', $sign, $digits[0], $fraction, $exponent < 0 ? '-' : '+', abs($exponent));
        }
        if ($exponent < 0) {
            return $sign . '0.' . str_repeat('0', -$exponent - 1) . $digits;
        }
        $digits = str_pad($digits, $exponent + 1, '0');
        $fraction = substr($digits, $exponent + 1);
        return $sign . substr($digits, 0, $exponent + 1) . '.' . ($fraction === '' ? '0' : $fraction);
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
            is_float($value) => self::float($value),
            is_string($value) => ReprToken::quoted($value),
            $value instanceof BigInteger => $value->digits,
            $value instanceof \stdClass && self::isDatetimeMarker($value) => self::datetime((string) $value->__value__),
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

    private static function isDatetimeMarker(\stdClass $value): bool
    {
        $vars = get_object_vars($value);
        return count($vars) === 2 && ($vars['__type__'] ?? null) === 'datetime' && is_string($vars['__value__'] ?? null);
    }

    /**
     * repr() of the Python datetime the worker will decode from an ISO string.
     */
    private static function datetime(string $iso): string
    {
        // KombuJson only lets through markers the worker decodes, so this parses.
        $time = PythonTime::fromisoformat($iso);
        $fields = [(int) $time->format('Y'), (int) $time->format('n'), (int) $time->format('j'),
            (int) $time->format('G'), (int) $time->format('i')];
        $second = (int) $time->format('s');
        $micro = (int) $time->format('u');
        if ($second !== 0 || $micro !== 0) {
            $fields[] = $second;
        }
        if ($micro !== 0) {
            $fields[] = $micro;
        }
        $text = 'datetime.datetime(' . implode(', ', $fields);
        if (preg_match('/([+-]\d{2}:\d{2}|Z)$/', $iso) === 1) {
            $text .= ', tzinfo=' . self::timezone($time->getOffset());
        }
        return $text . ')';
    }

    private static function timezone(int $offset): string
    {
        if ($offset === 0) {
            return 'datetime.timezone.utc';
        }
        // timedelta normalizes to non-negative seconds with negative days.
        $days = intdiv($offset, 86400) - ($offset < 0 ? 1 : 0);
        $seconds = $offset - $days * 86400;
        $delta = $days !== 0 ? sprintf('days=%d, seconds=%d', $days, $seconds) : sprintf('seconds=%d', $seconds);
        return 'datetime.timezone(datetime.timedelta(' . $delta . '))';
    }
}
