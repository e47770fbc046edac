<?php

declare(strict_types=1);

namespace CeleryBridge\Config;

use CeleryBridge\Exception\InvalidConfiguration;

use function is_int;

/**
 * task_default_priority, result_expires and result_max_size, the settings that are a number or
 * null, checked when given (ClientConfig loads this only then: a client with Celery's defaults
 * never does).
 *
 * @internal
 */
final class NumberSettings
{
    /** @throws InvalidConfiguration */
    public static function priority(mixed $value): ?int
    {
        if ($value !== null && (!is_int($value) || $value < 0 || $value > 9)) {
            throw InvalidConfiguration::invalid('task_default_priority', $value, 'expected an integer from 0 to 9, or null.');
        }
        return $value;
    }

    /**
     * CeleryBridge's own setting (Celery has none): the largest stored result get() decodes.
     *
     * @throws InvalidConfiguration
     */
    public static function maxSize(mixed $value): ?int
    {
        if ($value !== null && (!is_int($value) || $value < 1)) {
            throw InvalidConfiguration::invalid('result_max_size', $value, 'expected a number of bytes, or null for no limit.');
        }
        return $value;
    }

    /**
     * Celery's Redis backend reads 0 as None: results that never expire.
     *
     * @throws InvalidConfiguration
     */
    public static function expires(mixed $value): ?int
    {
        if ($value === null || $value === 0) {
            return null;
        }
        if (!is_int($value) || $value < 0) {
            throw InvalidConfiguration::invalid('result_expires', $value, 'expected a number of seconds, or null for no expiry.');
        }
        return $value;
    }
}
