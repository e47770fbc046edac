<?php

declare(strict_types=1);

// The application's config/celery.php (merged over the package's defaults).

return [
    'broker_url' => env('CELERY_BROKER_URL'),
    'result_backend' => env('CELERY_RESULT_BACKEND'),
    'settings' => ['task_default_queue' => env('CELERY_DEFAULT_QUEUE', 'celery')],
    'log_channel' => env('CELERY_LOG_CHANNEL'),
    'before_publish' => [CeleryBridge\LaravelApp\TenantHeader::class],
];
