<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Fixtures;

use PHPUnit\Framework\Assert;

/**
 * Makes Predis loadable in tests: from Composer when installed, else Debian's php-predis.
 */
final class Predis
{
    public static function load(): void
    {
        if (class_exists(\Predis\Client::class)) {
            return;
        }
        $autoloader = stream_resolve_include_path('Predis/Autoloader.php');
        if ($autoloader === false) {
            Assert::fail('Predis is not installed: apt-get install php-predis (or composer require predis/predis).');
        }
        require_once $autoloader;
        \Predis\Autoloader::register();
    }
}
