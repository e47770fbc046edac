<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * Celery's publish retry settings: `task_publish_retry` and `task_publish_retry_policy`, with
 * Celery's defaults (3 retries, sleeping 0 s, 0.2 s, 0.4 s; never more than 1 s).
 *
 * The delay before retry n (0-based) follows kombu's retry_over_time: interval_start, then
 * interval_step more each time, up to interval_start + interval_max.
 */
final class RetryPolicy
{
    public const KEYS = ['max_retries', 'interval_start', 'interval_step', 'interval_max'];

    private function __construct(
        public readonly bool $enabled,
        public readonly ?int $maxRetries,
        public readonly float $intervalStart,
        public readonly float $intervalStep,
        public readonly float $intervalMax,
        public readonly ?float $timeout = null,
    ) {
    }

    public static function celeryDefault(): self
    {
        return new self(true, 3, 0.0, 0.2, 1.0);
    }

    public static function never(): self
    {
        return new self(false, 0, 0.0, 0.2, 1.0);
    }

    /**
     * @param array<string, mixed> $config may hold task_publish_retry and task_publish_retry_policy
     *
     * @throws InvalidConfiguration
     */
    public static function fromConfig(#[\SensitiveParameter] array $config): self
    {
        $enabled = $config['task_publish_retry'] ?? true;
        if (!is_bool($enabled)) {
            throw InvalidConfiguration::invalid('task_publish_retry', $enabled, 'expected true or false.');
        }
        $policy = $config['task_publish_retry_policy'] ?? [];
        if (!is_array($policy)) {
            $expected = 'expected an array with ' . implode(', ', self::KEYS) . '.';
            throw InvalidConfiguration::invalid('task_publish_retry_policy', $policy, $expected);
        }
        foreach (array_keys($policy) as $key) {
            if (!in_array($key, self::KEYS, true)) {
                throw InvalidConfiguration::invalid(
                    sprintf('task_publish_retry_policy[%s]', $key),
                    $policy[$key],
                    $key === 'retry_errors' || $key === 'errback'
                        ? 'this one takes Python objects; CeleryBridge retries connection failures only.'
                        : 'unknown key; known: ' . implode(', ', self::KEYS) . '.',
                );
            }
        }
        $default = self::celeryDefault();
        $maxRetries = array_key_exists('max_retries', $policy) ? $policy['max_retries'] : $default->maxRetries;
        if ($maxRetries !== null && (!is_int($maxRetries) || $maxRetries < 0)) {
            throw InvalidConfiguration::invalid(
                'task_publish_retry_policy[max_retries]',
                $maxRetries,
                'expected an integer >= 0, or null to retry forever (as Celery).',
            );
        }
        $timeout = $config['task_publish_timeout'] ?? null;
        if ($timeout !== null && ((!is_int($timeout) && !is_float($timeout)) || !is_finite((float) $timeout) || $timeout <= 0)) {
            throw InvalidConfiguration::invalid(
                'task_publish_timeout',
                $timeout,
                'expected a number of seconds > 0 for the whole publish, or null (bounded by the retry policy only).',
            );
        }
        return new self(
            $enabled,
            $maxRetries,
            self::seconds($policy, 'interval_start', $default->intervalStart),
            self::seconds($policy, 'interval_step', $default->intervalStep),
            self::seconds($policy, 'interval_max', $default->intervalMax),
            $timeout === null ? null : (float) $timeout,
        );
    }

    /** Whether another attempt may follow $retriesDone retries. */
    public function allows(int $retriesDone): bool
    {
        return $this->enabled && ($this->maxRetries === null || $retriesDone < $this->maxRetries);
    }

    /** Seconds to sleep before retry number $retry (0 = the first retry). */
    public function delay(int $retry): float
    {
        $stop = $this->intervalStart + $this->intervalMax;
        if ($this->intervalStep <= 0.0) {
            return min($this->intervalStart, $stop);
        }
        $steps = (int) floor(($stop - $this->intervalStart) / $this->intervalStep + 1e-9);
        return $this->intervalStart + min($retry, $steps) * $this->intervalStep;
    }

    /**
     * @param array<string, mixed> $policy
     */
    private static function seconds(#[\SensitiveParameter] array $policy, string $key, float $default): float
    {
        if (!array_key_exists($key, $policy)) {
            return $default;
        }
        $value = $policy[$key];
        if ((!is_int($value) && !is_float($value)) || $value < 0 || !is_finite((float) $value)) {
            $name = sprintf('task_publish_retry_policy[%s]', $key);
            throw InvalidConfiguration::invalid($name, $value, 'expected a number of seconds >= 0.');
        }
        return (float) $value;
    }
}
