<?php

declare(strict_types=1);

namespace CeleryBridge\Config;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * Setting names of every Celery era, turned into the new ones, as Celery reads them:
 *
 * - the new lower-case names (`task_default_queue`), and CeleryBridge's own;
 * - the old upper-case names Celery 3 used and Celery 5 still reads (`BROKER_URL`,
 *   `CELERY_DEFAULT_QUEUE`, `CELERY_ROUTES`: CelerySettings::OLD_NAMES, Celery's own table);
 * - Django's form, `app.config_from_object('django.conf:settings', namespace='CELERY')`: the new
 *   name upper-cased behind `CELERY_` (`CELERY_BROKER_URL`, `CELERY_TASK_DEFAULT_QUEUE`).
 *
 * Celery refuses a config that mixes old and new names (ImproperlyConfigured, "Cannot mix new
 * and old setting keys"), unless the same setting is given under both; with a namespace it reads
 * every form. So does this class: one name in the Django form means a namespace, and then
 * nothing is refused. A setting given under two names takes the new name's value.
 *
 * @internal
 */
final class SettingNames
{
    private const PREFIX = 'CELERY_';

    /**
     * CelerySettings::NAMES as keys (SettingNamesTest holds them equal): a name is looked up in
     * one step, where in_array() compares it with each of the 200 names (about 4,000 instructions
     * a name; ClientConfig looks up each name a celeryconfig gives, twice, in every PHP-FPM request).
     */
    public const CELERY = [
        'accept_content' => true, 'arangodb_backend_settings' => true, 'azureblockblob_base_path' => true,
        'azureblockblob_connection_timeout' => true, 'azureblockblob_container_name' => true,
        'azureblockblob_read_timeout' => true, 'azureblockblob_retry_increment_base' => true,
        'azureblockblob_retry_initial_backoff_sec' => true, 'azureblockblob_retry_max_attempts' => true,
        'beat_cron_starting_deadline' => true, 'beat_enable_remote_control' => true,
        'beat_max_loop_interval' => true, 'beat_remote_control_max_tick_age' => true, 'beat_schedule' => true,
        'beat_schedule_filename' => true, 'beat_scheduler' => true, 'beat_sync_every' => true,
        'broker_channel_error_retry' => true, 'broker_connection_max_retries' => true,
        'broker_connection_retry' => true, 'broker_connection_retry_on_startup' => true,
        'broker_connection_timeout' => true, 'broker_failover_strategy' => true, 'broker_heartbeat' => true,
        'broker_heartbeat_checkrate' => true, 'broker_host' => true, 'broker_login_method' => true,
        'broker_native_delayed_delivery_queue_type' => true, 'broker_password' => true,
        'broker_pool_acquire_timeout' => true, 'broker_pool_limit' => true, 'broker_port' => true,
        'broker_read_url' => true, 'broker_transport' => true, 'broker_transport_options' => true,
        'broker_url' => true, 'broker_use_ssl' => true, 'broker_user' => true, 'broker_vhost' => true,
        'broker_write_url' => true, 'cache_backend' => true, 'cache_backend_options' => true,
        'cassandra_auth_kwargs' => true, 'cassandra_auth_provider' => true, 'cassandra_bundle_path' => true,
        'cassandra_entry_ttl' => true, 'cassandra_keyspace' => true, 'cassandra_options' => true,
        'cassandra_port' => true, 'cassandra_read_consistency' => true, 'cassandra_servers' => true,
        'cassandra_table' => true, 'cassandra_write_consistency' => true, 'control_exchange' => true,
        'control_queue_durable' => true, 'control_queue_exclusive' => true, 'control_queue_expires' => true,
        'control_queue_ttl' => true, 'cosmosdbsql_collection_name' => true, 'cosmosdbsql_consistency_level' => true,
        'cosmosdbsql_database_name' => true, 'cosmosdbsql_max_retry_attempts' => true,
        'cosmosdbsql_max_retry_wait_time' => true, 'couchbase_backend_settings' => true,
        'database_create_tables_at_setup' => true, 'database_engine_callback' => true,
        'database_engine_options' => true, 'database_short_lived_sessions' => true, 'database_table_names' => true,
        'database_table_schemas' => true, 'database_url' => true, 'elasticsearch_max_retries' => true,
        'elasticsearch_retry_on_timeout' => true, 'elasticsearch_save_meta_as_text' => true,
        'elasticsearch_timeout' => true, 'enable_utc' => true, 'event_exchange' => true,
        'event_queue_durable' => true, 'event_queue_exclusive' => true, 'event_queue_expires' => true,
        'event_queue_prefix' => true, 'event_queue_ttl' => true, 'event_serializer' => true,
        'gcs_base_path' => true, 'gcs_bucket' => true, 'gcs_project' => true, 'gcs_ttl' => true, 'imports' => true,
        'include' => true, 'mongodb_backend_settings' => true, 'redis_backend_use_ssl' => true, 'redis_db' => true,
        'redis_host' => true, 'redis_max_connections' => true, 'redis_password' => true, 'redis_port' => true,
        'redis_retry_on_timeout' => true, 'redis_socket_connect_timeout' => true, 'redis_socket_keepalive' => true,
        'redis_socket_timeout' => true, 'redis_username' => true, 'result_accept_content' => true,
        'result_backend' => true, 'result_backend_always_retry' => true,
        'result_backend_base_sleep_between_retries_ms' => true, 'result_backend_max_retries' => true,
        'result_backend_max_sleep_between_retries_ms' => true, 'result_backend_transport_options' => true,
        'result_cache_max' => true, 'result_chord_expires' => true, 'result_chord_join_timeout' => true,
        'result_chord_retry_interval' => true, 'result_compression' => true, 'result_exchange' => true,
        'result_exchange_type' => true, 'result_expires' => true, 'result_extended' => true,
        'result_failure_expires' => true, 'result_persistent' => true, 'result_serializer' => true,
        's3_access_key_id' => true, 's3_base_path' => true, 's3_bucket' => true, 's3_endpoint_url' => true,
        's3_region' => true, 's3_secret_access_key' => true, 'security_cert_store' => true,
        'security_certificate' => true, 'security_digest' => true, 'security_key' => true,
        'security_key_password' => true, 'task_acks_late' => true, 'task_acks_on_failure' => true,
        'task_acks_on_failure_or_timeout' => true, 'task_acks_on_timeout' => true,
        'task_allow_error_cb_on_chord_header' => true, 'task_always_eager' => true, 'task_annotations' => true,
        'task_compression' => true, 'task_create_missing_queue_exchange_type' => true,
        'task_create_missing_queue_type' => true, 'task_create_missing_queues' => true,
        'task_default_delivery_mode' => true, 'task_default_exchange' => true, 'task_default_exchange_type' => true,
        'task_default_priority' => true, 'task_default_queue' => true, 'task_default_queue_type' => true,
        'task_default_rate_limit' => true, 'task_default_routing_key' => true, 'task_eager_propagates' => true,
        'task_ignore_result' => true, 'task_inherit_parent_priority' => true, 'task_protocol' => true,
        'task_publish_retry' => true, 'task_publish_retry_policy' => true, 'task_queue_max_priority' => true,
        'task_queues' => true, 'task_reject_on_worker_lost' => true, 'task_remote_tracebacks' => true,
        'task_repr_maxlevels' => true, 'task_retry_on_worker_lost' => true, 'task_routes' => true,
        'task_send_sent_event' => true, 'task_serializer' => true, 'task_soft_time_limit' => true,
        'task_store_eager_result' => true, 'task_store_errors_even_if_ignored' => true, 'task_time_limit' => true,
        'task_track_started' => true, 'timezone' => true, 'worker_agent' => true, 'worker_autoscaler' => true,
        'worker_cancel_long_running_tasks_on_connection_loss' => true, 'worker_concurrency' => true,
        'worker_consumer' => true, 'worker_deduplicate_successful_tasks' => true,
        'worker_detect_quorum_queues' => true, 'worker_direct' => true, 'worker_disable_prefetch' => true,
        'worker_disable_rate_limits' => true, 'worker_enable_prefetch_count_reduction' => true,
        'worker_enable_remote_control' => true, 'worker_enable_soft_shutdown_on_idle' => true,
        'worker_eta_task_limit' => true, 'worker_hijack_root_logger' => true, 'worker_log_color' => true,
        'worker_log_datefmt' => true, 'worker_log_format' => true, 'worker_lost_wait' => true,
        'worker_max_memory_per_child' => true, 'worker_max_tasks_per_child' => true, 'worker_pool' => true,
        'worker_pool_putlocks' => true, 'worker_pool_restarts' => true, 'worker_pool_start_method' => true,
        'worker_prefetch_multiplier' => true, 'worker_proc_alive_timeout' => true,
        'worker_redirect_stdouts' => true, 'worker_redirect_stdouts_level' => true,
        'worker_send_task_events' => true, 'worker_soft_shutdown_timeout' => true, 'worker_state_db' => true,
        'worker_task_log_datefmt' => true, 'worker_task_log_format' => true, 'worker_timer' => true,
        'worker_timer_precision' => true,
    ];

    /**
     * The config with every key under its new name.
     *
     * @param array<string, mixed> $config
     * @return array<string, mixed>
     * @throws InvalidConfiguration an unknown name (with "Did you mean"), or old and new names mixed
     */
    public static function canonical(#[\SensitiveParameter] array $config): array
    {
        $celery = self::CELERY;
        $known = $celery + array_flip(ClientConfig::NAMES);
        $new = $old = $namespaced = [];
        foreach (array_keys($config) as $name) {
            $name = (string) $name;
            if (isset($known[$name])) {
                $new[$name] = $name;
            } elseif (isset(CelerySettings::OLD_NAMES[$name])) {
                $old[$name] = CelerySettings::OLD_NAMES[$name];
            } elseif (self::isNamespaced($name, $known)) {
                $namespaced[$name] = strtolower(substr($name, strlen(self::PREFIX)));
            } else {
                throw self::unknown($name);
            }
        }
        if ($namespaced === [] && $old !== []) {
            // CeleryBridge's own names have no old form: they never count as mixing.
            self::refuseMixed($old, array_intersect_key($new, $celery), $config);
        }
        $canonical = [];
        // The new name wins, then the namespaced one, then the old one.
        foreach ([$old, $namespaced, $new] as $names) {
            foreach ($names as $given => $name) {
                $canonical[$name] = $config[$given];
            }
        }
        return $canonical;
    }

    /**
     * @param array<string, int> $known
     */
    private static function isNamespaced(string $name, array $known): bool
    {
        return str_starts_with($name, self::PREFIX) && strtoupper($name) === $name
            && isset($known[strtolower(substr($name, strlen(self::PREFIX)))]);
    }

    /**
     * Celery's detect_settings(): with more old names than new, the new ones are the odd ones
     * out, else the old ones; names whose other form is also given are not counted.
     *
     * @param array<string, string> $old old name => new name
     * @param array<string, string> $new new name => new name (Celery's names only)
     * @param array<string, mixed> $config
     * @throws InvalidConfiguration
     */
    private static function refuseMixed(array $old, array $new, #[\SensitiveParameter] array $config): void
    {
        if ($new === []) {
            return;
        }
        $toOld = array_flip(CelerySettings::OLD_NAMES);
        $renames = [];
        if (count($old) > count($new)) {
            foreach ($new as $name) {
                if (isset($toOld[$name]) && !array_key_exists($toOld[$name], $config)) {
                    $renames[$name] = $toOld[$name];
                }
            }
            $toNew = false;
        } else {
            foreach ($old as $given => $name) {
                if (!array_key_exists($name, $config)) {
                    $renames[$given] = $name;
                }
            }
            $toNew = true;
        }
        if ($renames !== []) {
            ksort($renames);
            throw InvalidConfiguration::mixedNames($renames, $toNew);
        }
    }

    /**
     * An unknown name, with the nearest name of its own form: an upper-case one is compared with
     * the old names and the Django form, a lower-case one with the new names.
     */
    private static function unknown(string $name): InvalidConfiguration
    {
        $new = [...ClientConfig::NAMES, ...CelerySettings::NAMES];
        $candidates = strtoupper($name) === $name
            ? [...array_keys(CelerySettings::OLD_NAMES), ...array_map(
                static fn (string $n): string => self::PREFIX . strtoupper($n),
                $new,
            )]
            : $new;
        return InvalidConfiguration::unknown($name, $candidates, [
            ...ClientConfig::NAMES,
            '(and every other Celery setting name, accepted and ignored; Celery\'s old upper-case names such as '
            . 'BROKER_URL and CELERY_DEFAULT_QUEUE, and Django\'s CELERY_ form such as CELERY_TASK_DEFAULT_QUEUE, too)',
        ]);
    }
}
