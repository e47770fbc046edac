<?php

declare(strict_types=1);

/*
 * opcache.preload for PHP-FPM (and other SAPIs with opcache): compiles and links, once when
 * php-fpm starts, the library's classes a request that publishes to Redis uses, so that such a
 * request autoloads none of them. In php.ini:
 *
 *     opcache.preload=/path/to/app/vendor/celery-bridge/celery-bridge/php/preload.php
 *     opcache.preload_user=www-data
 *
 * It needs Composer's autoloader: the application's (this package under vendor/), or this
 * repository's own. Preloaded: what `new CeleryClient(url)`, sendTask() with and without options
 * (the template and the general path, canvases) and a result's state() load
 * (tests/test_cold_start.py keeps the list complete), and the readers of a celeryconfig's common
 * settings (worker-side names, result_expires, result_serializer and accept_content, task_routes,
 * broker_transport_options such as visibility_timeout, timeouts and publish retries). The rest (RabbitMQ, Predis, remote
 * control, events, waiting in get(), the exceptions, the framework integrations) loads on first
 * use, as without preloading: each preloaded class costs every request of the pool a little
 * (preloading all of the library's classes added about 12,000 instructions to each request,
 * whether it used them or not; docs/benchmarks.md, "PHP-FPM"). After upgrading the package,
 * restart php-fpm (preloaded code is never reloaded).
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

$classes = [
    'Backend\\MetaReader',
    'Backend\\RedisResultBackend',
    'Backend\\ResultDecoder',
    'Broker\\PublishChunk',
    'Broker\\QueueKeys',
    'Broker\\RedisBroker',
    'Broker\\RetryingPublisher',
    'Broker\\TaskRouter',
    'Canvas\\Canvas',
    'Canvas\\CanvasFreezer',
    'Canvas\\CanvasPlanner',
    'Canvas\\Plan',
    'Canvas\\PlannedTask',
    'Canvas\\Signature',
    'Canvas\\TaskName',
    'CeleryClient',
    'CeleryClientInterface',
    'Config\\CelerySettings',
    'Config\\ClientConfig',
    'Config\\ContentSettings',
    'Config\\NumberSettings',
    'Config\\SettingNames',
    'Config\\TransportOptions',
    'Connection\\ClientConnection',
    'Connection\\Clock',
    'Connection\\ConnectionOptions',
    'Connection\\ConnectionOptionsReader',
    'Connection\\Endpoint',
    'Connection\\PhpRedisConnection',
    'Connection\\RedisConnection',
    'Connection\\RetriesPerCall',
    'Connection\\RetryPolicy',
    'Connection\\RetryPolicyReader',
    'Connection\\Role',
    'Connection\\Topology',
    'Message\\Delivery',
    'Message\\Embeddable',
    'Message\\MessageBuilder',
    'Message\\OptionChecks',
    'Message\\PlainTaskEncoder',
    'Message\\PlainValues',
    'Message\\ProtocolTwo',
    'Message\\PublishHooks',
    'Message\\PythonRepr',
    'Message\\ReprToken',
    'Message\\TaskCall',
    'Message\\TaskMessage',
    'Message\\TaskOptions',
    'Publish\\CanvasPublisher',
    'Publish\\ChunkBuilder',
    'Publish\\PlainMessage',
    'Publish\\PlainPath',
    'Publish\\Publisher',
    'Publish\\RedisTransport',
    'Publish\\Transport',
    'Result\\AsyncResult',
    'Result\\ResultHandles',
    'Result\\ResultMeta',
    'Result\\ResultStore',
    'Result\\State',
    'Result\\WorkerReach',
    'Validation\\Check',
    'Wire\\BodyEncoder',
    'Wire\\Compression',
    'Wire\\Decompressor',
    'Wire\\Envelope',
    'Wire\\KombuJson',
    'Wire\\KombuMarker',
    'Wire\\PlainText',
    'Wire\\PythonTime',
    'Wire\\Uuid',
];
foreach ($classes as $name) {
    $name = 'CeleryBridge\\' . $name;
    class_exists($name) || interface_exists($name) || trait_exists($name) || enum_exists($name);
}
