<?php

// tests/test_minimal_php.py: run under `php -n` with only the extensions the library requires
// (and phpredis or Predis when the case has them). Sends tasks.add to queue "minimal" with the
// client CB_CLIENT asks for (Predis loaded when CB_PREDIS is set); prints the id, or the
// exception and whether it is the library's own.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;

if (getenv('CB_PREDIS')) {
    require_once '/usr/share/php/Predis/Autoloader.php';
    Predis\Autoloader::register();
}
$config = getenv('CB_CLIENT') ? ['redis_client' => getenv('CB_CLIENT')] : [];
try {
    $id = (new CeleryClient((string) getenv('CELERY_BROKER_URL'), config: $config + ['task_default_queue' => 'minimal']))
        ->sendTask('tasks.add', [1, 2])->id;
    echo json_encode(['sent' => $id]);
} catch (Throwable $e) {
    $ours = $e instanceof CeleryBridgeException;
    echo json_encode(['class' => $e::class, 'ours' => $ours, 'message' => $e->getMessage()]);
}
