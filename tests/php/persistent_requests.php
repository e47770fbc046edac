<?php

declare(strict_types=1);

// PHP-FPM requests in one process, as a child serves them: each line on stdin is a request
// that creates a client with redis_persistent, sends one task and drops the client. Prints the
// task id of each (or the exception), one line per request.
//
//   php tests/php/persistent_requests.php <autoload> <broker url> <redis_client>

require $argv[1];

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;

[, , $url, $redisClient] = $argv;
if ($redisClient === 'predis') {
    require_once 'Predis/Autoloader.php';  // Debian's php-predis
    Predis\Autoloader::register();
}
while (($line = fgets(STDIN)) !== false) {
    $celery = new CeleryClient($url, config: [
        'redis_persistent' => true,
        'redis_client' => $redisClient,
        'task_default_queue' => 'fpm-requests',
    ]);
    try {
        echo $celery->sendTask('tasks.add', [(int) $line, 1])->id, "\n";
    } catch (CeleryBridgeException $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
    // The end of a request: the client is freed at once (it holds no reference cycle), and
    // phpredis takes the socket back into its pool.
    unset($celery);
}
