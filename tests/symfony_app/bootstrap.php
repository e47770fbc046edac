<?php

declare(strict_types=1);

// A minimal Symfony application, from Debian's Symfony 5.4 packages (on PHP's include_path)
// and this checkout's Composer autoloader; tests/test_symfony.py copies it to a temporary
// directory.

require_once 'Symfony/Bundle/FrameworkBundle/autoload.php';
require_once 'Symfony/Component/Console/autoload.php';
require_once 'Symfony/Component/Yaml/autoload.php';
// Composer writes vendor/composer/InstalledVersions.php on install only; this checkout's
// dump-autoload maps the class without it, and Symfony asks for the class: Debian's copy.
require_once 'Composer/InstalledVersions.php';
require_once getenv('CELERY_BRIDGE_AUTOLOAD') ?: dirname(__DIR__, 2) . '/vendor/autoload.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'CeleryBridge\\SymfonyApp\\';
    if (str_starts_with($class, $prefix)) {
        require __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    }
});
