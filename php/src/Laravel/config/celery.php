<?php

declare(strict_types=1);

// CeleryBridge's settings for Laravel; publish with
// `php artisan vendor:publish --tag=celery-config` to edit them in config/celery.php.

return [
    // Celery's broker_url and result_backend (redis://, rediss://, sentinel://, unix://).
    'broker_url' => env('CELERY_BROKER_URL', 'redis://127.0.0.1:6379/0'),
    'result_backend' => env('CELERY_RESULT_BACKEND'),

    // Any Celery setting, under Celery's own names, as in a Python celeryconfig: task_routes,
    // task_default_queue, task_serializer, task_send_sent_event, broker_transport_options, ...
    'settings' => [
        'task_default_queue' => env('CELERY_DEFAULT_QUEUE', 'celery'),
    ],

    // The log channel the client writes to (a published task at debug, retries at warning):
    // null for the default channel, false for none.
    'log_channel' => env('CELERY_LOG_CHANNEL'),

    // Invokable classes (resolved from the container) called for every task published:
    // before_publish ones may return headers to add (e.g. TraceContext::headers()); see the
    // README's "Publish hooks".
    'before_publish' => [],
    'after_publish' => [],
];
