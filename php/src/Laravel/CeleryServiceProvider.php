<?php

declare(strict_types=1);

namespace CeleryBridge\Laravel;

use CeleryBridge\CeleryClient;
use CeleryBridge\CeleryClientInterface;
use CeleryBridge\Symfony\Command\CliCommand;
use Illuminate\Console\Application as Artisan;
use Illuminate\Contracts\Container\Container;
use Illuminate\Support\ServiceProvider;

/**
 * Laravel's entry point (found by package discovery): the client as a singleton from
 * config/celery.php, the Celery facade's binding, and the artisan commands celery:send,
 * celery:result, celery:revoke, celery:queues, celery:purge and celery:workers.
 *
 * Nothing is made while the application boots: the client is built when first resolved, and it
 * connects on its first publish, so a request that sends no task opens no connection.
 */
final class CeleryServiceProvider extends ServiceProvider
{
    public const CONFIG = __DIR__ . '/config/celery.php';

    public function register(): void
    {
        $this->mergeConfigFrom(self::CONFIG, 'celery');
        $this->app->singleton(CeleryClient::class, static fn (Container $app): CeleryClient => ClientFactory::make($app));
        // The interface is what applications (and the facade) resolve; Celery::fake() rebinds it.
        $this->app->alias(CeleryClient::class, CeleryClientInterface::class);
    }

    public function boot(): void
    {
        if (!$this->app->runningInConsole()) {
            return;
        }
        $this->publishes([self::CONFIG => $this->app->configPath('celery.php')], 'celery-config');
        $app = $this->app;
        Artisan::starting(static function (Artisan $artisan) use ($app): void {
            $defaults = ClientFactory::cliDefaults($app);
            foreach (CliCommand::NAMES as $name) {
                $artisan->add(new CliCommand($name, $defaults));
            }
        });
    }
}
