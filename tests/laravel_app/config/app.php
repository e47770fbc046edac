<?php

declare(strict_types=1);

return [
    'name' => 'celery-bridge-laravel-test',
    'env' => 'testing',
    'debug' => true,
    'url' => 'http://localhost',
    'timezone' => 'UTC',
    'locale' => 'en',
    'key' => 'base64:' . base64_encode(str_repeat('k', 32)),
    'cipher' => 'AES-256-CBC',
    // CeleryBridge's provider is not listed: package discovery finds it in composer.json.
    'providers' => [
        Illuminate\Cache\CacheServiceProvider::class,
        Illuminate\Filesystem\FilesystemServiceProvider::class,
    ],
    'aliases' => [],
];
