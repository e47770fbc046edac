<?php

declare(strict_types=1);

// What public/index.php does, for the request given as the first argument (a path and query).

require __DIR__ . '/bootstrap.php';

use CeleryBridge\SymfonyApp\Kernel;
use Symfony\Component\HttpFoundation\Request;

$env = getenv('APP_ENV') ?: 'dev';
$kernel = new Kernel($env, $env !== 'prod');
$request = Request::create($argv[1] ?? '/');
$response = $kernel->handle($request);
echo $response->getContent();
$kernel->terminate($request, $response);
exit($response->getStatusCode() === 200 ? 0 : 1);
