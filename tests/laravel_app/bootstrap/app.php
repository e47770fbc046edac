<?php

declare(strict_types=1);

// A minimal Laravel application, booted from Debian's php-laravel-framework (on PHP's
// include_path) and this checkout's Composer autoloader. tests/test_laravel.py copies it to a
// temporary directory and writes vendor/composer/installed.json from the repository's
// composer.json, so Laravel discovers the provider from composer.json's extra.laravel.

require_once 'Illuminate/autoload.php';
require_once getenv('CELERY_BRIDGE_AUTOLOAD') ?: dirname(__DIR__, 3) . '/vendor/autoload.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'CeleryBridge\\LaravelApp\\';
    if (str_starts_with($class, $prefix)) {
        require dirname(__DIR__) . '/app/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    }
});

$app = new Illuminate\Foundation\Application(dirname(__DIR__));
$app->singleton(Illuminate\Contracts\Http\Kernel::class, Illuminate\Foundation\Http\Kernel::class);
$app->singleton(Illuminate\Contracts\Console\Kernel::class, Illuminate\Foundation\Console\Kernel::class);
$app->singleton(Illuminate\Contracts\Debug\ExceptionHandler::class, Illuminate\Foundation\Exceptions\Handler::class);
// Of artisan's own commands, only the one the test uses (the others need the whole framework).
Illuminate\Console\Application::starting(static function (Illuminate\Console\Application $artisan): void {
    $artisan->resolve(Illuminate\Foundation\Console\VendorPublishCommand::class);
});
$app->booted(static function (Illuminate\Foundation\Application $app): void {
    require $app->basePath('routes/web.php');
});

return $app;
