<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

use CeleryBridge\CeleryClient;
use CeleryBridge\Config\ClientConfig;

/**
 * The client a command talks through: --broker/--backend/--config, else the framework's
 * defaults (artisan, bin/console), else CELERY_BROKER_URL / CELERY_RESULT_BACKEND.
 *
 * @internal
 */
final class Connection
{
    /** Whether client() was given a result backend (URL or result_backend in --config). */
    public bool $hasBackend = false;

    /** task_default_queue of the configuration in use, for `queues` without a name. */
    public string $defaultQueue = 'celery';

    /**
     * @param array{broker?: string|null, backend?: string|null, config?: array<string, mixed>} $defaults
     */
    public function __construct(#[\SensitiveParameter] private readonly array $defaults = [])
    {
    }

    public function client(Arguments $args): CeleryClient
    {
        $config = ClientConfig::withCeleryNames(
            $args->has('config') ? self::configFile((string) $args->get('config')) : ($this->defaults['config'] ?? []),
        );
        $broker = $args->get('broker') ?? ($this->defaults['broker'] ?? null) ?? (getenv('CELERY_BROKER_URL') ?: null);
        $backend = $args->get('backend') ?? ($this->defaults['backend'] ?? null) ?? (getenv('CELERY_RESULT_BACKEND') ?: null);
        $this->defaultQueue = is_string($config['task_default_queue'] ?? null) ? $config['task_default_queue'] : 'celery';
        if ($broker === null && !isset($config['broker_url'])) {
            throw new UsageError('no broker: pass --broker URL, set CELERY_BROKER_URL, or broker_url in --config.');
        }
        self::refuseEmptyUrls($args);
        $this->hasBackend = is_string($backend) || (isset($config['result_backend']) && $config['result_backend'] !== '');
        return new CeleryClient(
            is_string($broker) ? $broker : null,
            is_string($backend) ? $backend : null,
            $config,
        );
    }

    /** --broker '' or --backend '' (an unset shell variable): said plainly, not as a URL error. */
    private static function refuseEmptyUrls(Arguments $args): void
    {
        foreach (['broker', 'backend'] as $option) {
            if ($args->get($option) === '') {
                throw new UsageError(sprintf('--%s is empty: give a Redis URL (redis://host:6379/0), or leave the '
                    . 'option out to use %s.', $option, $option === 'broker'
                    ? 'CELERY_BROKER_URL or broker_url in --config'
                    : 'CELERY_RESULT_BACKEND or result_backend in --config (no backend: no results)'));
            }
        }
    }

    /**
     * @return array<string, mixed>
     */
    private static function configFile(string $path): array
    {
        if (!is_file($path) || !is_readable($path)) {
            throw new UsageError(sprintf('--config: cannot read "%s".', $path));
        }
        if (str_ends_with(strtolower($path), '.py')) {
            // PHP cannot run Python: the same settings, as JSON, are read.
            throw new UsageError(sprintf(
                '--config: "%s" is Python, which celery-bridge does not read: give it a .json file, or a .php file '
                . 'returning an array, with the same setting names. To convert the settings once: (cd %s && python3 -c '
                . '"import json, %s as c; print(json.dumps({k: v for k, v in vars(c).items() if k[0] != \'_\' and '
                . 'isinstance(v, (str, int, float, bool, list, tuple, dict))}, indent=1))") > celeryconfig.json',
                $path,
                escapeshellarg(dirname($path)),
                pathinfo($path, PATHINFO_FILENAME),
            ));
        }
        $config = str_ends_with(strtolower($path), '.php')
            ? (static fn (string $file): mixed => require $file)($path)
            : json_decode((string) file_get_contents($path), true);
        if (!is_array($config) || ($config !== [] && array_is_list($config))) {
            throw new UsageError(sprintf('--config: "%s" must hold an object of Celery setting names (a .php file '
                . 'returning an array, or JSON).', $path));
        }
        return $config;
    }
}
