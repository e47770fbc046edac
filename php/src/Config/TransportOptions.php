<?php

declare(strict_types=1);

namespace CeleryBridge\Config;

use CeleryBridge\Broker\QueueKeys;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Validation\Check;

/**
 * broker_transport_options and result_backend_transport_options: an array of the names kombu
 * and Celery's Redis backend know, read into what they change for this client: the broker's
 * queue lists (QueueKeys), its fanout prefix and patterns, the backend's key prefix.
 * ClientConfig loads this only when either is given.
 *
 * @internal
 */
final class TransportOptions
{
    /**
     * kombu Redis transport options. Only priority_steps, sep, global_keyprefix and the fanout
     * ones change what a publisher writes; the others tune workers and are accepted so that a
     * Python config can be copied as is.
     */
    public const BROKER_TRANSPORT_OPTIONS = [
        'priority_steps', 'sep', 'global_keyprefix', 'fanout_prefix', 'fanout_patterns', 'master_name',
        'sentinel_kwargs', 'min_other_sentinels', 'visibility_timeout', 'queue_order_strategy',
        'unacked_key', 'unacked_index_key', 'unacked_mutex_key', 'unacked_mutex_expire',
        'unacked_restore_limit', 'ack_emulation', 'max_connections', 'health_check_interval',
        'socket_timeout', 'socket_connect_timeout', 'socket_keepalive', 'socket_keepalive_options',
        'retry_on_timeout', 'polling_interval', 'brpop_timeout', 'client_name', 'deadletter_queue',
        'sentinel_fanout_compat', 'max_retries', 'interval_start', 'interval_step', 'interval_max',
        'retry_policy',
    ];

    public const BACKEND_TRANSPORT_OPTIONS = [
        'global_keyprefix', 'master_name', 'sentinel_kwargs', 'min_other_sentinels', 'result_chord_ordered',
        'retry_policy', 'socket_timeout', 'socket_connect_timeout', 'health_check_interval', 'client_name',
    ];

    /**
     * @return array<string, mixed>
     * @throws InvalidConfiguration
     */
    public static function broker(#[\SensitiveParameter] mixed $value): array
    {
        return self::known('broker_transport_options', $value, self::BROKER_TRANSPORT_OPTIONS);
    }

    /**
     * @return array<string, mixed>
     * @throws InvalidConfiguration
     */
    public static function backend(#[\SensitiveParameter] mixed $value): array
    {
        return self::known('result_backend_transport_options', $value, self::BACKEND_TRANSPORT_OPTIONS);
    }

    /**
     * @param list<string> $known
     * @return array<string, mixed>
     */
    private static function known(string $name, #[\SensitiveParameter] mixed $value, array $known): array
    {
        foreach (array_keys(Check::setting()->map($name, $value)) as $key) {
            if (!in_array($key, $known, true)) {
                throw InvalidConfiguration::unknown("$name.$key", array_map(static fn ($k) => "$name.$k", $known));
            }
        }
        return $value;
    }

    /**
     * priority_steps, sep and global_keyprefix: the lists task messages go to (QueueKeys).
     *
     * @param array<string, mixed> $transportOptions broker_transport_options
     * @throws InvalidConfiguration
     */
    public static function queueKeys(array $transportOptions): QueueKeys
    {
        $name = 'broker_transport_options.priority_steps';
        $steps = $transportOptions['priority_steps'] ?? QueueKeys::DEFAULT_STEPS;
        if (!is_array($steps) || $steps === [] || !array_is_list($steps)) {
            throw InvalidConfiguration::invalid($name, $steps, 'expected a list of integers, e.g. [0, 3, 6, 9].');
        }
        foreach ($steps as $i => $step) {
            if (!is_int($step) || $step < 0 || $step > 9 || ($i > 0 && $step <= $steps[$i - 1])) {
                throw InvalidConfiguration::invalid($name, $steps, 'expected ascending integers from 0 to 9, e.g. [0, 3, 6, 9].');
            }
        }
        $sep = $transportOptions['sep'] ?? QueueKeys::DEFAULT_SEP;
        if (!is_string($sep) || $sep === '') {
            throw InvalidConfiguration::invalid('broker_transport_options.sep', $sep, 'expected a non-empty string '
                . '(kombu\'s default is "\x06\x16").');
        }
        $prefix = $transportOptions['global_keyprefix'] ?? '';
        if (!is_string($prefix)) {
            throw InvalidConfiguration::invalid('broker_transport_options.global_keyprefix', $prefix, 'expected a string.');
        }
        return new QueueKeys($steps, $sep, $prefix);
    }

    /**
     * The key prefix of the result backend as Celery applies it: global_keyprefix, separated
     * by "_" unless it already ends in one of ":_-." (celery.backends.base; the broker's
     * prefix is used verbatim).
     *
     * @param array<string, mixed> $transportOptions result_backend_transport_options
     * @throws InvalidConfiguration
     */
    public static function backendKeyPrefix(array $transportOptions): string
    {
        $prefix = $transportOptions['global_keyprefix'] ?? '';
        if (!is_string($prefix)) {
            throw InvalidConfiguration::invalid('result_backend_transport_options.global_keyprefix', $prefix, 'expected a string.');
        }
        return $prefix === '' || in_array(substr($prefix, -1), [':', '_', '-', '.'], true) ? $prefix : $prefix . '_';
    }

    /**
     * fanout_prefix: true = "/{db}." (kombu's default), false = none, or a custom prefix.
     *
     * @param array<string, mixed> $transportOptions broker_transport_options
     * @throws InvalidConfiguration
     */
    public static function fanoutPrefix(array $transportOptions): bool|string
    {
        $value = $transportOptions['fanout_prefix'] ?? true;
        if (!is_bool($value) && !is_string($value)) {
            throw InvalidConfiguration::invalid(
                'broker_transport_options.fanout_prefix',
                $value,
                'expected true (kombu\'s default "/{db}."), false (no prefix, as kombu 3) or a prefix string.',
            );
        }
        return $value;
    }

    /**
     * fanout_patterns: whether events are published on "<exchange>/<routing key>" channels
     * (kombu's default, True) or on the exchange's channel alone; kombu reads it as a bool.
     *
     * @param array<string, mixed> $transportOptions broker_transport_options
     * @throws InvalidConfiguration
     */
    public static function fanoutPatterns(array $transportOptions): bool
    {
        $value = $transportOptions['fanout_patterns'] ?? true;
        if (!is_bool($value)) {
            throw InvalidConfiguration::invalid(
                'broker_transport_options.fanout_patterns',
                $value,
                'expected true (kombu\'s default: a channel per routing key, as the workers\' events use) or false.',
            );
        }
        return $value;
    }
}
