<?php

declare(strict_types=1);

// What an application writes, fresh connection: a client per request, its socket closed at the
// end of the request.
require getenv('BENCH_ROOT') . '/vendor/autoload.php';

$celery = new CeleryBridge\CeleryClient(getenv('CELERY_BROKER_URL'));
$celery->sendTask('tasks.add', [1, 2]);
echo "queued\n";
