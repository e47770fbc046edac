<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Validation\Check;

/**
 * Reads Celery's publish retry settings into a RetryPolicy: task_publish_retry,
 * task_publish_retry_policy and task_publish_timeout, and checks apply_async's retry_policy=
 * with the same rules (policy()). A client given none gets RetryPolicy::celeryDefault()
 * without loading this class.
 *
 * @internal
 */
final class RetryPolicyReader
{
    /**
     * @param array<string, mixed> $config may hold task_publish_retry, task_publish_retry_policy
     *        and task_publish_timeout
     * @throws InvalidConfiguration
     */
    public static function fromConfig(#[\SensitiveParameter] array $config): RetryPolicy
    {
        $check = Check::setting();
        $enabled = $check->bool('task_publish_retry', $config['task_publish_retry'] ?? true);
        $policy = self::policy($check, 'task_publish_retry_policy', $config['task_publish_retry_policy'] ?? []);
        $timeout = $config['task_publish_timeout'] ?? null;
        if ($timeout !== null) {
            $timeout = (float) $check->seconds('task_publish_timeout', $timeout, more: ' for the whole publish, '
                . 'or null (bounded by the retry policy only)');
        }
        $default = RetryPolicy::celeryDefault()->forCall($enabled, $policy);
        return new RetryPolicy(
            $default->enabled,
            $default->maxRetries,
            $default->intervalStart,
            $default->intervalStep,
            $default->intervalMax,
            $timeout,
        );
    }

    /**
     * A retry policy as Celery's dict: max_retries (an integer, or None to retry forever) and
     * the interval_* seconds; its keys are laid over the defaults (RetryPolicy::forCall()).
     *
     * @return array<string, int|float|null>
     * @throws InvalidConfiguration|InvalidOption
     */
    public static function policy(Check $check, string $name, mixed $value): array
    {
        if (!is_array($value)) {
            $check->fail($name, $value, 'expected an array with ' . implode(', ', RetryPolicy::KEYS) . '.');
        }
        foreach ($value as $key => $item) {
            $at = sprintf('%s[%s]', $name, $key);
            if ($key === 'retry_errors' || $key === 'errback') {
                $check->fail($at, $item, 'this one takes Python objects; CeleryBridge retries connection failures only.');
            }
            if (!in_array($key, RetryPolicy::KEYS, true)) {
                $check->unknownKey($name, $key, $item, RetryPolicy::KEYS);
            }
            if ($key !== 'max_retries') {
                $check->seconds($at, $item, zero: true);
            } elseif ($item !== null && (!is_int($item) || $item < 0)) {
                $check->fail($at, $item, 'expected an integer >= 0, or null to retry forever (as Celery).');
            }
        }
        return $value;
    }
}
