<?php

declare(strict_types=1);

// The CPU side of bench/amqp_publish.php, counted rather than timed: bench/amqp_bench.py runs this
// under valgrind's callgrind with BENCH_OPS=1 and BENCH_OPS=201 and divides the difference by
// 200, which gives the instructions of one operation (one task of a sendMany()) whatever the
// machine's load:
//
//   BENCH_MODE=raw   php-amqplib basic_publish of a prebuilt message + wait_for_pending_acks
//   BENCH_MODE=send  sendTask('tasks.add', [$i, $i]) (confirm waited for)
//   BENCH_MODE=many  one sendMany() of BENCH_OPS prebuilt Signatures('tasks.add', [$i, $i]) (201 are
//                    built in every run, as bench/amqp_publish.php builds them outside the timing);
//                    confirms waited for once per chunk of 200: 201 tasks make one chunk more
//                    than 1, so the difference is 200 tasks and one wait, as in a long batch
//
//   CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// BENCH_MODE=send BENCH_OPS=201 \
//       valgrind --tool=callgrind php bench/amqp_instructions.php
//
// BENCH_AMQP_CLIENT=ext-amqp counts the send modes on ext-amqp (amqp_client; auto by default).

require __DIR__ . '/../vendor/autoload.php';
require_once 'PhpAmqpLib/autoload.php';

use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Connection\Amqp\PreEncodedMessage;
use CeleryBridge\Message\AmqpTaskMessage;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Wire\Uuid;
use PhpAmqpLib\Connection\AMQPStreamConnection;

$url = getenv('CELERY_BROKER_URL') ?: 'amqp://guest:guest@127.0.0.1:5672//';
$ops = (int) (getenv('BENCH_OPS') ?: 1);
$parts = parse_url($url);

if (getenv('BENCH_MODE') === 'raw') {
    $message = (new MessageBuilder('bench@' . gethostname(), Uuid::v4()))
        ->build(new Signature('tasks.add', [1, 2]), Uuid::v4(), new Delivery('bench-raw'), new \DateTimeImmutable(), 'x');
    $amqp = AmqpTaskMessage::fromTaskMessage($message);
    $prebuilt = new PreEncodedMessage($amqp->body, $amqp->properties->encode());
    $connection = new AMQPStreamConnection($parts['host'], $parts['port'] ?? 5672, 'guest', 'guest');
    $channel = $connection->channel();
    $channel->queue_declare('bench-raw', false, true, false, false);
    $channel->confirm_select();
    for ($i = 0; $i < $ops; $i++) {
        $channel->basic_publish($prebuilt, '', 'bench-raw');
        $channel->wait_for_pending_acks(10.0);
    }
    $channel->queue_purge('bench-raw');
    return;
}
$celery = new CeleryClient(broker: $url, config: [
    'task_default_queue' => 'bench-instructions',
    'amqp_client' => getenv('BENCH_AMQP_CLIENT') ?: 'auto',
]);
if (getenv('BENCH_MODE') === 'many') {
    $signatures = [];
    for ($i = 0; $i < 201; $i++) {
        $signatures[] = new Signature('tasks.add', [$i, $i]);
    }
    $celery->sendMany(array_slice($signatures, 0, $ops));
    return;
}
for ($i = 0; $i < $ops; $i++) {
    $celery->sendTask('tasks.add', [$i, $i]);
}
