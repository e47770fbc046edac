<?php

declare(strict_types=1);

// What public/index.php does, for the request given as the first argument (a path and query).

$app = require __DIR__ . '/bootstrap/app.php';
$kernel = $app->make(Illuminate\Contracts\Http\Kernel::class);
$request = Illuminate\Http\Request::create($argv[1] ?? '/');
$response = $kernel->handle($request);
echo $response->getContent();
$kernel->terminate($request, $response);
exit($response->getStatusCode() === 200 ? 0 : 1);
