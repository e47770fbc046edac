<?php

declare(strict_types=1);

// Publish throughput over AMQP (RabbitMQ), publisher confirms on everywhere, next to the least a
// PHP client can do with php-amqplib, in the same run against the same node, in alternating
// rounds (medians of BENCH_ROUNDS, 15 by default, of BENCH_TASKS tasks each, 1000 by default: short
// rounds, so that every method meets the same load on a shared machine):
//
//   raw publish+confirm  php-amqplib basic_publish of one prebuilt message (the bytes sendTask()
//                        publishes, encoded once) + wait_for_pending_acks: the limit for
//                        one-at-a-time publishing that knows each message reached RabbitMQ
//   sendTask()           sendTask('tasks.add', [$i, $i]): builds every message, waits for its confirm
//   sendMany()           sendMany() of prebuilt Signatures('tasks.add', [$i, $i]): confirms
//                        waited for once per batch
//
// Ratios are throughputs (higher is better): sendTask()/raw (goal >= 0.70) and sendMany() per
// task/raw (goal >= 3). bench/amqp_bench.py starts the RabbitMQ node and runs this.
//
//   CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// php bench/amqp_publish.php
//   BENCH_TASKS=1000 BENCH_ROUNDS=15

require __DIR__ . '/../vendor/autoload.php';
require_once 'PhpAmqpLib/autoload.php';
require __DIR__ . '/rounds.php';

use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Message\AmqpTaskMessage;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Wire\Uuid;
use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;

$url = getenv('CELERY_BROKER_URL') ?: 'amqp://guest:guest@127.0.0.1:5672//';
$count = (int) (getenv('BENCH_TASKS') ?: 1000);
$rounds = (int) (getenv('BENCH_ROUNDS') ?: 15);
$parts = parse_url($url);

// The raw baseline's message: built and encoded once, outside the timing, as sendTask() would
// build it (Celery's properties and header table, Wire\Amqp's encoding).
$message = (new MessageBuilder('bench@' . gethostname(), Uuid::v4()))
    ->build(new Signature('tasks.add', [1, 2]), Uuid::v4(), new Delivery('bench-raw'), new \DateTimeImmutable(), 'x');
$amqp = AmqpTaskMessage::fromTaskMessage($message);
$prebuilt = new class ($amqp->body, $amqp->properties->encode()) extends AMQPMessage {
    public function __construct(string $body, private readonly string $encoded)
    {
        parent::__construct($body);
    }

    public function serialize_properties() // phpcs:ignore PSR1.Methods.CamelCapsMethodName -- php-amqplib's name
    {
        return $this->encoded;
    }
};

$connection = new AMQPStreamConnection(
    $parts['host'],
    $parts['port'] ?? 5672,
    urldecode($parts['user'] ?? 'guest'),
    urldecode($parts['pass'] ?? 'guest'),
);
$channel = $connection->channel();
$channel->queue_declare('bench-raw', false, true, false, false);
$channel->confirm_select();

$celery = new CeleryClient(broker: $url, config: ['task_default_queue' => 'bench']);
$celery->sendTask('tasks.add', [0, 0]);
$signatures = [];
for ($i = 0; $i < $count; $i++) {
    $signatures[] = new Signature('tasks.add', [$i, $i]);
}

$methods = [
    'raw publish+confirm' => static function () use ($channel, $prebuilt, $count): void {
        for ($i = 0; $i < $count; $i++) {
            $channel->basic_publish($prebuilt, '', 'bench-raw');
            $channel->wait_for_pending_acks(10.0);
        }
    },
    'sendTask()' => static function () use ($celery, $count): void {
        for ($i = 0; $i < $count; $i++) {
            $celery->sendTask('tasks.add', [$i, $i]);
        }
    },
    'sendMany()' => static function () use ($celery, $signatures): void {
        $celery->sendMany($signatures);
    },
];

$per = median_rounds($methods, $rounds, $count, static function () use ($channel): void {
    $channel->queue_purge('bench-raw');
    $channel->queue_purge('bench');
});
$channel->queue_delete('bench-raw');
$channel->queue_delete('bench');
$channel->close();
$connection->close();

printf("AMQP publish with confirms, %d tasks, median of %d alternating rounds:\n", $count, $rounds);
foreach ($per as $name => $seconds) {
    printf("  %-20s %7.2f us/task %9.0f tasks/s\n", $name, $seconds * 1e6, 1 / $seconds);
}
$raw = $per['raw publish+confirm'];
printf("  ratio sendTask()/raw publish+confirm:           %.2f (goal >= 0.70)\n", $raw / $per['sendTask()']);
printf("  ratio sendMany() per task/raw publish+confirm:  %.2f (goal >= 3)\n", $raw / $per['sendMany()']);
