<?php

declare(strict_types=1);

/*
 * opcache.preload for PHP-FPM (and other SAPIs with opcache): compiles and links the library's
 * classes once, when php-fpm starts, so that no request autoloads them. In php.ini:
 *
 *     opcache.preload=/path/to/app/vendor/celery-bridge/celery-bridge/php/preload.php
 *     opcache.preload_user=www-data
 *
 * It needs Composer's autoloader: the application's (this package under vendor/), or this
 * repository's own. The framework integrations, the CLI and the test fake are left out: they
 * need their frameworks' classes. After upgrading the package, restart php-fpm (preloaded code
 * is never reloaded). Without preloading the library is fast too; this removes the per-request
 * class loading that remains (see docs/benchmarks.md, "PHP-FPM").
 */

$autoloader = array_values(array_filter(
    [dirname(__DIR__, 3) . '/autoload.php', dirname(__DIR__) . '/vendor/autoload.php'],
    'is_file',
))[0] ?? null;
if ($autoloader === null) {
    trigger_error('CeleryBridge preload: Composer\'s vendor/autoload.php was not found', E_USER_WARNING);
    return;
}
require_once $autoloader;

$source = __DIR__ . '/src';
$skip = ['Cli', 'Laravel', 'Symfony', 'Testing'];
$files = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($source, FilesystemIterator::SKIP_DOTS));
foreach ($files as $file) {
    $relative = substr((string) $file, strlen($source) + 1, -strlen('.php'));
    if (!str_ends_with((string) $file, '.php') || in_array(explode('/', $relative)[0], $skip, true)) {
        continue;
    }
    $name = 'CeleryBridge\\' . str_replace('/', '\\', $relative);
    try {
        class_exists($name) || interface_exists($name) || trait_exists($name) || enum_exists($name);
    } catch (Throwable) {
        // A class that needs an optional library (psr/log, Predis) that is not installed: it
        // loads, or fails, when used, as without preloading.
    }
}
