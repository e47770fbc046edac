<?php

// Control and queue tools over RabbitMQ, on the PHP AMQP library CB_AMQP_CLIENT names
// (php-amqplib or ext-amqp), against the broker CB_AMQP_URL. Prints JSON.
//   php amqp_tools.php ping                        {node: reply} of control()->ping()
//   php amqp_tools.php inspect METHOD              {node: reply} of inspect(METHOD)
//   php amqp_tools.php revoke ID                   revoke()'s count (1: some worker heard it, 0: none)
//   php amqp_tools.php length QUEUE...             [length, ...]
//   php amqp_tools.php purge QUEUE                 [purged, length after]
//   php amqp_tools.php ping-404-ping NODE          [ping, length of a missing queue, ping]: RabbitMQ's
//                                                  404 closes the channel, the replies still come
//   php amqp_tools.php watch QUEUE                 opens the event stream, publishes tasks.add(2, 3) to
//                                                  QUEUE and its task-sent event, prints the events of
//                                                  that task until task-sent and task-succeeded came: [[type, hostname], ...]
// tests/over_amqp/test_amqp_control.py and test_amqp_events.py drive it.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';
require_once 'PhpAmqpLib/autoload.php';

use CeleryBridge\Broker\Amqp\AmqpQueues;
use CeleryBridge\Broker\Amqp\Channels;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Broker\QueueInspector;
use CeleryBridge\Control\AmqpMailbox;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Events\EventStream;
use CeleryBridge\Events\TaskEvent;
use CeleryBridge\Message\AmqpTaskMessage;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\TaskSentEvent;
use CeleryBridge\Wire\Amqp\ExchangeMessage;
use CeleryBridge\Wire\Uuid;

$channel = Channels::open((string) getenv('CB_AMQP_URL'), new AmqpSettings(client: (string) getenv('CB_AMQP_CLIENT')));
$control = new WorkerControl(new AmqpMailbox($channel));
$queues = new QueueInspector(new AmqpQueues($channel));
$action = $argv[1];

/** @return list<array{string, string}> */
$watch = static function (string $url, string $client, \CeleryBridge\Broker\Amqp\Channel $publisher, string $queue): array {
    // The stream on a connection of its own, as CeleryClient::events() opens it.
    $keys = EventStream::routingKeys(EventStream::TYPES);
    $stream = new EventStream(Channels::open($url, new AmqpSettings(client: $client)), $keys, 20.0, null);
    $id = Uuid::v4();
    $hostname = 'php@' . gethostname();
    $message = (new MessageBuilder($hostname, Uuid::v4()))
        ->build(new Signature('tasks.add', [2, 3]), $id, new Delivery($queue), new \DateTimeImmutable(), 'unused');
    $task = AmqpTaskMessage::fromTaskMessage($message);
    $publisher->messageCount($queue);
    $publisher->publish(new ExchangeMessage($task->exchange, $task->routingKey, $task->properties, $task->body));
    $publisher->declareExchange('celeryev', 'topic', true);
    $publisher->publish(ExchangeMessage::fromEnvelope(
        TaskSentEvent::envelope($message, new Delivery($queue), $hostname, 1, microtime(true), 'celeryev', 'unused'),
    ));
    $seen = [];
    foreach ($stream as $event) {
        if ($event instanceof TaskEvent && $event->taskId === $id) {
            $seen[] = [$event->type, $event->hostname];
            // The worker may finish before our own task-sent comes round: wait for both.
            $types = array_column($seen, 0);
            if (in_array('task-succeeded', $types, true) && in_array('task-sent', $types, true)) {
                break;
            }
        }
    }
    $stream->close();
    return $seen;
};

$out = match ($action) {
    'ping' => (object) $control->ping(timeout: 3.0, destination: ($argv[2] ?? '') === '' ? null : [$argv[2]]),
    'inspect' => (object) $control->inspect($argv[2], timeout: 3.0, limit: 1),
    'revoke' => $control->revoke($argv[2]),
    'length' => array_map($queues->length(...), array_slice($argv, 2)),
    'ping-404-ping' => [
        (object) $control->ping(timeout: 3.0, destination: [$argv[2]]),
        $queues->length('no_such_queue'),
        (object) $control->ping(timeout: 3.0, destination: [$argv[2]]),
    ],
    'watch' => $watch((string) getenv('CB_AMQP_URL'), (string) getenv('CB_AMQP_CLIENT'), $channel, $argv[2]),
    'purge' => [$queues->purge($argv[2]), $queues->length($argv[2])],
};
$channel->close();
echo json_encode($out, JSON_PRESERVE_ZERO_FRACTION);
