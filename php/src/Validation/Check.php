<?php

declare(strict_types=1);

namespace CeleryBridge\Validation;

use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\Suggestion;
use CeleryBridge\Wire\PlainText;

/**
 * The value checks that client settings (InvalidConfiguration) and task options
 * (InvalidOption) share: each names the setting or option, the value, and what was expected.
 *
 * @internal
 */
final class Check
{
    private function __construct(private readonly bool $option)
    {
    }

    /** For client settings under Celery's setting names. */
    public static function setting(): self
    {
        return new self(false);
    }

    /** For apply_async options. */
    public static function option(): self
    {
        return new self(true);
    }

    /**
     * @throws InvalidConfiguration|InvalidOption
     */
    public function fail(string $name, #[\SensitiveParameter] mixed $value, string $expected, ?\Throwable $previous = null): never
    {
        throw $this->option
            ? InvalidOption::invalid($name, $value, $expected, $previous)
            : InvalidConfiguration::invalid($name, $value, $expected, $previous);
    }

    /**
     * A key inside a setting or option that is not one of $known ("Did you mean" the closest).
     *
     * @param list<string> $known
     * @throws InvalidConfiguration|InvalidOption
     */
    public function unknownKey(string $name, int|string $key, #[\SensitiveParameter] mixed $value, array $known): never
    {
        $this->fail(sprintf('%s[%s]', $name, $key), $value, 'unknown key; known: ' . implode(', ', $known) . '.'
            . Suggestion::didYouMean((string) $key, $known));
    }

    /**
     * @throws InvalidConfiguration|InvalidOption
     */
    public function bool(string $name, mixed $value): bool
    {
        return is_bool($value) ? $value : $this->fail($name, $value, 'expected true or false.');
    }

    /**
     * @template T
     * @param list<T> $choices
     * @return T
     * @throws InvalidConfiguration|InvalidOption
     */
    public function choice(string $name, mixed $value, array $choices): mixed
    {
        return in_array($value, $choices, true)
            ? $value
            : $this->fail($name, $value, 'expected one of ' . implode(', ', $choices) . '.');
    }

    /**
     * A whole number of at least $min.
     *
     * @throws InvalidConfiguration|InvalidOption
     */
    public function count(string $name, mixed $value, int $min = 0): int
    {
        return is_int($value) && $value >= $min
            ? $value
            : $this->fail($name, $value, sprintf('expected an integer of at least %d.', $min));
    }

    /**
     * A finite number of seconds: > 0, or >= 0 with $zero, or any with $negative.
     *
     * @throws InvalidConfiguration|InvalidOption
     */
    public function seconds(string $name, mixed $value, bool $zero = false, bool $negative = false, string $more = ''): int|float
    {
        $number = (is_int($value) || is_float($value)) && is_finite((float) $value);
        if ($number && ($negative || $value > 0 || ($zero && $value >= 0))) {
            return $value;
        }
        $this->fail($name, $value, match (true) {
            $negative => 'expected a number of seconds.',
            $zero => 'expected a number of seconds >= 0' . $more . '.',
            default => 'expected a positive number of seconds' . $more . '.',
        });
    }

    /**
     * The seconds (> 0) under $key of a settings array, or null when absent; named
     * "$inside[$key]" in messages when $inside is given.
     *
     * @param array<mixed> $from
     * @throws InvalidConfiguration|InvalidOption
     */
    public function secondsIn(#[\SensitiveParameter] array $from, string $key, ?string $inside = null): ?float
    {
        if (!isset($from[$key])) {
            return null;
        }
        return (float) $this->seconds($inside === null ? $key : sprintf('%s[%s]', $inside, $key), $from[$key]);
    }

    /**
     * UTF-8 text without control characters (which would end up in Redis keys, headers and logs).
     *
     * @throws InvalidConfiguration|InvalidOption
     */
    public function text(string $name, mixed $value, bool $allowEmpty = false): string
    {
        return self::isCleanText($value) && ($allowEmpty || $value !== '')
            ? $value
            : $this->fail($name, $value, 'expected a non-empty UTF-8 string without control characters.');
    }

    /**
     * An array of name => value (an empty one too).
     *
     * @return array<string, mixed>
     * @throws InvalidConfiguration|InvalidOption
     */
    public function map(string $name, #[\SensitiveParameter] mixed $value, string $of = 'name => value'): array
    {
        return is_array($value) && ($value === [] || !array_is_list($value))
            ? $value
            : $this->fail($name, $value, "expected an array of $of.");
    }

    public static function isCleanText(mixed $value): bool
    {
        return is_string($value) && mb_check_encoding($value, 'UTF-8') && !PlainText::hasControl($value);
    }
}
