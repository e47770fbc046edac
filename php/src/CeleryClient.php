<?php

declare(strict_types=1);

namespace CeleryBridge;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Broker\RedisBroker;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\ConnectionFactory;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Message\BodyEncoder;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\Uuid;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\ResultSet;

/**
 * Sends tasks to Celery workers through Redis, and gives back handles on their results.
 *
 * Constructing a client does no I/O; the first publish connects.
 */
final class CeleryClient
{
    private readonly ClientConfig $config;
    private readonly RedisConnection $brokerConnection;
    private readonly RedisBroker $broker;
    private readonly MessageBuilder $builder;
    private readonly ?RedisResultBackend $resultBackend;

    /**
     * @param string|object $broker a Celery broker_url (redis://...) or a connected client
     * @param string|object|null $backend a Celery result_backend URL or a connected client
     * @param array<string, mixed> $config Celery setting names, e.g. task_default_queue, task_routes
     * @throws CeleryBridgeException
     */
    public function __construct(
        #[\SensitiveParameter] string|object $broker,
        #[\SensitiveParameter] string|object|null $backend = null,
        array $config = [],
    ) {
        $this->config = ClientConfig::fromArray($config);
        $this->brokerConnection = ConnectionFactory::create($broker, $this->config->connection);
        $this->broker = new RedisBroker($this->brokerConnection, $this->config->queueKeys);
        $this->resultBackend = $backend === null ? null : RedisResultBackend::fromOptions(
            ConnectionFactory::create($backend, $this->config->connection),
            $this->config->backendTransportOptions,
            $this->config->resultExpires,
        );
        $this->builder = new MessageBuilder(
            origin: sprintf('gen%d@%s', getmypid(), gethostname()),
            replyTo: Uuid::v4(),
            protocol: $this->config->protocol,
            encoder: new BodyEncoder($this->config->serializer, $this->config->compression),
        );
    }

    /**
     * Sends one task by name, like Celery's app.send_task().
     *
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @param array<string, mixed> $options Celery's apply_async option names
     * @throws CeleryBridgeException nothing is written to Redis when the input is invalid
     */
    public function sendTask(string $name, array $args = [], array $kwargs = [], array $options = []): AsyncResult
    {
        return $this->send(new Signature($name, $args, $kwargs, $options));
    }

    /**
     * Sends a signature, with extra apply_async options laid over its own.
     *
     * @param array<string, mixed> $options
     * @throws CeleryBridgeException
     */
    public function send(Signature $signature, array $options = []): AsyncResult
    {
        $signature = $options === [] ? $signature : $signature->withOptions($options);
        $taskId = $signature->options->taskId ?? Uuid::v4();
        $delivery = $this->deliveryFor($signature);
        $message = $this->builder->build(
            $signature,
            $taskId,
            $delivery,
            new \DateTimeImmutable('now', new \DateTimeZone('UTC')),
            Uuid::v4(),
        );
        $this->broker->publish($message, $delivery);
        return new AsyncResult($taskId, $this->resultBackend);
    }

    /**
     * A handle on a task's result from its id alone, e.g. one kept in a session or a database.
     */
    public function result(string $taskId): AsyncResult
    {
        return new AsyncResult($taskId, $this->resultBackend);
    }

    /**
     * Handles on several results, read with one MGET and waited for with one subscription:
     * `$celery->results($ids)->get(timeout: 10.0)` gives the values in the order of the ids.
     *
     * @param list<string|AsyncResult> $tasks task ids or results
     */
    public function results(array $tasks): ResultSet
    {
        return new ResultSet(array_values(array_map(
            fn (string|AsyncResult $task): AsyncResult => $task instanceof AsyncResult ? $task : $this->result($task),
            $tasks,
        )));
    }

    /**
     * Options given to the call win over task_routes, which win over the defaults (Celery's order).
     */
    private function deliveryFor(Signature $signature): Delivery
    {
        $options = $signature->options;
        $route = $this->config->routes->route($signature->task);
        $exchange = $options->exchange ?? $route['exchange'] ?? '';
        $routingKey = $options->routingKey ?? $route['routing_key'] ?? null;
        $queue = $options->queue ?? $route['queue'] ?? $this->config->defaultQueue;
        $priority = $options->priority ?? $route['priority'] ?? $this->config->defaultPriority ?? 0;
        // Celery only routes through a named exchange when both exchange and routing key are
        // set; otherwise it publishes to the queue through the anonymous exchange.
        if ($exchange === '' || $routingKey === null) {
            return new Delivery($queue, $priority);
        }
        return new Delivery($queue, $priority, $exchange, $routingKey);
    }
}
