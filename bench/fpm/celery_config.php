<?php

declare(strict_types=1);

// What an application writes with its Python celeryconfig copied over (worker-side names
// included) and a result backend, fresh connection: a client per request. Not in the FPM table;
// measure it with BENCH_FPM_ENDPOINTS=celery_config.php (bench/fpm_instructions.py).
require getenv('BENCH_ROOT') . '/vendor/autoload.php';

$celery = new CeleryBridge\CeleryClient(getenv('CELERY_BROKER_URL'), getenv('CELERY_BROKER_URL'), config: [
    'task_serializer' => 'json',
    'result_serializer' => 'json',
    'accept_content' => ['json'],
    'timezone' => 'UTC',
    'enable_utc' => true,
    'result_expires' => 3600,
    'task_routes' => ['tasks.mul' => ['queue' => 'bench-raw']],
    'broker_transport_options' => ['visibility_timeout' => 3600],
    'broker_connection_timeout' => 4,
    'task_acks_late' => true,
    'worker_prefetch_multiplier' => 1,
]);
$celery->sendTask('tasks.add', [1, 2]);
echo "queued\n";
