<?php

declare(strict_types=1);

// One PHP request that sends tasks over AMQP, for bench/amqp_bench.py's method count: a fresh process
// (what a PHP-FPM request without a persistent connection is) builds a CeleryClient and sends a
// task; after each sendTask() it prints "sent N" and waits for a line on stdin, so that the
// bench can read what the proxy saw for that send alone. The second sendTask() shows what a
// send costs once this process has connected. The bench runs it twice: the first process finds
// no queue (it declares it), the second finds the topology the first one left.
//
//   CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:<proxy port>// BENCH_QUEUE=bench-request \
//   BENCH_AMQP_CLIENT=php-amqplib php bench/amqp_request.php

require __DIR__ . '/../vendor/autoload.php';

use CeleryBridge\CeleryClient;

$celery = new CeleryClient(
    broker: getenv('CELERY_BROKER_URL') ?: 'amqp://guest:guest@127.0.0.1:5672//',
    config: [
        'task_default_queue' => getenv('BENCH_QUEUE') ?: 'bench-request',
        'amqp_client' => getenv('BENCH_AMQP_CLIENT') ?: 'auto',
    ],
);
foreach ([1, 2] as $n) {
    $celery->sendTask('tasks.add', [$n, $n]);
    echo "sent $n\n";
    fgets(STDIN);
}
