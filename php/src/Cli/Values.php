<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

/**
 * The command line's values checked and typed: a command refuses a malformed one (UsageError)
 * before it connects or sends anything.
 *
 * @internal
 */
final class Values
{
    public static function exactlyOne(Arguments $args, string $what): string
    {
        if (count($args->words) !== 2) {
            throw new UsageError(sprintf('%s expects %s.', $args->words[0], $what));
        }
        return $args->words[1];
    }

    public static function integer(string $option, mixed $value): int
    {
        if (!is_string($value) || preg_match('/^\d+\z/', $value) !== 1) {
            throw new UsageError(sprintf('--%s expects a whole number.', $option));
        }
        return (int) $value;
    }

    public static function number(string $option, mixed $value): float
    {
        if (!is_string($value) || !is_numeric($value)) {
            throw new UsageError(sprintf('--%s expects a number.', $option));
        }
        return (float) $value;
    }

    /** The option's number, or null when it is not given. */
    public static function optionalNumber(Arguments $args, string $option): ?float
    {
        return $args->has($option) ? self::number($option, $args->get($option)) : null;
    }

    public static function optionalInteger(Arguments $args, string $option): ?int
    {
        return $args->has($option) ? self::integer($option, $args->get($option)) : null;
    }

    /**
     * --args as a list, --kwargs as a stdClass: JSON objects inside stay objects and big integers
     * stay exact (JsonArgument), so the worker gets what was typed.
     *
     * @return ($list is true ? list<mixed> : \stdClass)
     */
    public static function jsonOption(Arguments $args, string $option, string $default, bool $list): array|\stdClass
    {
        $text = $args->get($option, $default);
        $value = is_string($text) ? JsonArgument::decode($option, $text) : null;
        // An empty --kwargs written as [] (PHP's habit) means no keyword arguments.
        $value = !$list && $value === [] ? new \stdClass() : $value;
        if ($list ? !is_array($value) : !$value instanceof \stdClass) {
            throw new UsageError($list
                ? sprintf('--%s expects a JSON array, e.g. [2, 3].', $option)
                : sprintf('--%s expects a JSON object, e.g. {"x": 1}.', $option));
        }
        return $value;
    }

    /** --wait [SECONDS]: 30 s when no number is given. */
    public static function waitSeconds(Arguments $args): float
    {
        $wait = $args->get('wait');
        $seconds = $wait === true ? 30.0 : self::number('wait', $wait);
        if (!is_finite($seconds) || $seconds < 0) {
            throw new UsageError('--wait expects a number of seconds, 0 or more.');
        }
        return $seconds;
    }
}
