<?php

declare(strict_types=1);

namespace CeleryBridge\Laravel;

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\InvalidConfiguration;
use Illuminate\Contracts\Container\Container;
use Psr\Log\LoggerInterface;

/**
 * Makes the application's CeleryClient from config('celery').
 *
 * @internal
 */
final class ClientFactory
{
    private function __construct()
    {
    }

    public static function make(Container $app): CeleryClient
    {
        $config = self::config($app);
        $client = new CeleryClient(
            self::url($config['broker_url'] ?? null),
            self::url($config['result_backend'] ?? null),
            self::settings($config),
            self::logger($app, $config['log_channel'] ?? null),
        );
        foreach (self::hooks($config, 'before_publish') as $hook) {
            $client->beforePublish($app->make($hook));
        }
        foreach (self::hooks($config, 'after_publish') as $hook) {
            $client->afterPublish($app->make($hook));
        }
        return $client;
    }

    /**
     * The connection settings for the CLI commands.
     *
     * @return array{broker: string|null, backend: string|null, config: array<string, mixed>}
     */
    public static function cliDefaults(Container $app): array
    {
        $config = self::config($app);
        return [
            'broker' => self::url($config['broker_url'] ?? null),
            'backend' => self::url($config['result_backend'] ?? null),
            'config' => self::settings($config),
        ];
    }

    /**
     * @param array<string, mixed> $config
     * @return array<string, mixed>
     */
    public static function settings(array $config): array
    {
        $settings = $config['settings'] ?? [];
        if (!is_array($settings)) {
            throw InvalidConfiguration::invalid('celery.settings', $settings, 'an array of Celery settings.');
        }
        return $settings;
    }

    /**
     * @return array<string, mixed>
     */
    private static function config(Container $app): array
    {
        $config = $app->make('config')->get('celery', []);
        return is_array($config) ? $config : [];
    }

    private static function url(mixed $url): ?string
    {
        // An empty env variable means "not set", as for Laravel's other URLs.
        return is_string($url) && $url !== '' ? $url : null;
    }

    private static function logger(Container $app, mixed $channel): ?LoggerInterface
    {
        if ($channel === false || $channel === 'false') {
            return null;
        }
        $log = $app->make('log');
        $logger = is_string($channel) && $channel !== '' ? $log->channel($channel) : $log;
        return $logger instanceof LoggerInterface ? $logger : null;
    }

    /**
     * @param array<string, mixed> $config
     * @return list<string>
     */
    private static function hooks(array $config, string $name): array
    {
        $hooks = $config[$name] ?? [];
        return is_array($hooks) ? array_values(array_filter($hooks, 'is_string')) : [];
    }
}
