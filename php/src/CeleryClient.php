<?php

declare(strict_types=1);

namespace CeleryBridge;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Broker\QueueInspector;
use CeleryBridge\Broker\RedisBroker;
use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\CanvasPlanner;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\ConnectionFactory;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Message\BodyEncoder;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\PlainTaskEncoder;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Message\Uuid;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultSet;

/**
 * Sends tasks to Celery workers through Redis, and gives back handles on their results.
 *
 * Constructing a client does no I/O; the first publish connects.
 */
final class CeleryClient
{
    /** How many task names sendTask() remembers the route of. */
    private const PLAIN_DELIVERIES = 1000;

    private readonly ClientConfig $config;
    private readonly RedisConnection $brokerConnection;
    private readonly RedisBroker $broker;
    private readonly MessageBuilder $builder;
    private readonly ?RedisResultBackend $resultBackend;
    private readonly WorkerControl $control;
    private readonly QueueInspector $queues;
    private readonly CanvasPlanner $planner;
    /** This client's oid: reply_to of its messages and of the canvas parts it freezes. */
    private readonly string $replyTo;
    private ?PlainTaskEncoder $plainEncoder = null;
    /** @var array<string, Delivery> where sendTask() without options sends each task name */
    private array $plainDeliveries = [];

    /**
     * @param string|object $broker a Celery broker_url (redis://...) or a connected client
     * @param string|object|null $backend a Celery result_backend URL or a connected client
     * @param array<string, mixed> $config Celery setting names, e.g. task_default_queue, task_routes
     * @throws CeleryBridgeException
     */
    public function __construct(
        #[\SensitiveParameter] string|object $broker,
        #[\SensitiveParameter] string|object|null $backend = null,
        #[\SensitiveParameter] array $config = [],
    ) {
        $this->config = ClientConfig::fromArray($config);
        $this->brokerConnection = ConnectionFactory::create($broker, [
            'broker_transport_options' => $this->config->brokerTransportOptions,
            'task_publish_retry' => $this->config->publishRetry,
            'task_publish_retry_policy' => $this->config->publishRetryPolicy,
        ] + $this->config->connection);
        $this->broker = new RedisBroker($this->brokerConnection, $this->config->queueKeys);
        $this->resultBackend = $backend === null ? null : RedisResultBackend::fromOptions(
            ConnectionFactory::create(
                $backend,
                ['result_backend_transport_options' => $this->config->backendTransportOptions] + $this->config->connection,
                ConnectionFactory::BACKEND,
            ),
            $this->config->backendTransportOptions,
            $this->config->resultExpires,
            $this->config->resultMaxSize,
        );
        $this->control = WorkerControl::fromConfig($this->brokerConnection, $this->config);
        $this->queues = new QueueInspector($this->brokerConnection, $this->config->queueKeys);
        $this->replyTo = Uuid::v4();
        $this->planner = new CanvasPlanner(
            $this->replyTo,
            Uuid::v4(...),
            fn (string $id, AsyncResult|GroupResult|null $parent): AsyncResult
                => new AsyncResult($id, $this->resultBackend, $parent, $this->control),
            fn (string $id, array $results, AsyncResult|GroupResult|null $parent): GroupResult
                => new GroupResult($id, $results, $parent, $this->control),
        );
        $this->builder = new MessageBuilder(
            origin: sprintf('gen%d@%s', getmypid(), gethostname()),
            replyTo: $this->replyTo,
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
        if ($options === []) {
            $result = $this->sendPlain($name, $args, $kwargs);
            if ($result !== null) {
                return $result;
            }
        }
        $result = $this->send(new Signature($name, $args, $kwargs, $options));
        \assert($result instanceof AsyncResult);
        return $result;
    }

    /**
     * Sends any canvas (a Signature, Chain, Group or Chord) with apply_async options laid over
     * it, with the meaning Celery gives them for that form (see each class's withOptions()).
     *
     * Every task id is chosen and every message built before the first one is written, so
     * invalid input writes nothing. A Signature gives its AsyncResult; a Chain gives its last
     * step's (earlier steps through `parent`), or a GroupResult when it ends in a group; a Group
     * gives a GroupResult; a Chord gives its body's result, whose parent is the header's
     * GroupResult. A chord first stores its size in the result backend, as Celery does.
     *
     * @param array<string, mixed> $options
     * @throws CeleryBridgeException
     */
    public function send(Canvas $canvas, array $options = []): AsyncResult|GroupResult
    {
        $canvas = $options === [] ? $canvas : $canvas->withOptions($options);
        $plan = $this->planner->plan($canvas);
        if ($plan->chordSizes !== [] && $this->resultBackend === null) {
            throw InvalidCanvas::chordWithoutBackend();
        }
        $now = new \DateTimeImmutable('now', new \DateTimeZone('UTC'));
        $messages = [];
        foreach ($plan->tasks as $task) {
            if ($task->chain !== null && $this->config->protocol === 1) {
                throw InvalidCanvas::chainWithProtocolOne();
            }
            $delivery = $this->deliveryFor($task->signature);
            $message = $this->builder->build(
                $task->signature,
                $task->taskId,
                $delivery,
                $now,
                Uuid::v4(),
                $task->embed(),
            );
            $messages[] = [$message, $delivery];
        }
        $queued = [];
        try {
            foreach ($plan->chordSizes as $groupId => $size) {
                // Before any header task is published, so that the last one to finish finds it.
                $this->resultBackend?->setChordSize((string) $groupId, $size);
            }
            foreach ($messages as [$message, $delivery]) {
                $this->broker->publish($message, $delivery);
                $queued[] = $message->taskId;
            }
        } catch (ConnectionFailed $e) {
            $ids = array_map(static fn ($task): string => $task->taskId, $plan->tasks);
            // Until canvases publish in one transaction, a chord cut short leaves its counter (and
            // the header tasks already queued) behind; its body will never run.
            $note = $plan->chordSizes === [] ? null : 'The chord counter was already stored, so this chord '
                . 'will never complete: send the whole canvas again (it gets new ids).';
            throw $e->duringPublish(array_values(array_diff($ids, $queued)), $queued, $plan->result->id, $note);
        }
        return $plan->result;
    }

    /**
     * The common call without options, from PlainTaskEncoder's template: the same bytes as
     * send(), without the canvas planner. Null when the arguments need the general path.
     *
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @throws CeleryBridgeException
     */
    private function sendPlain(string $name, array $args, array $kwargs): ?AsyncResult
    {
        // Validates the name and routes it once; task_routes depend on the name alone here.
        $delivery = $this->plainDeliveries[$name] ?? null;
        if ($delivery === null) {
            $delivery = $this->deliveryFor(new Signature($name));
            if (count($this->plainDeliveries) < self::PLAIN_DELIVERIES) {
                $this->plainDeliveries[$name] = $delivery;
            }
        }
        $this->plainEncoder ??= new PlainTaskEncoder($this->builder);
        $taskId = Uuid::v4();
        $envelope = $this->plainEncoder->envelope($name, $taskId, $args, $kwargs, Uuid::v4(), $delivery);
        if ($envelope === null) {
            return null;
        }
        try {
            $this->broker->publishEnvelope($envelope, $delivery);
        } catch (ConnectionFailed $e) {
            throw $e->duringPublish([$taskId], [], $taskId);
        }
        return new AsyncResult($taskId, $this->resultBackend, null, $this->control);
    }

    /**
     * Tells the workers to discard tasks, like Celery's app.control.revoke(). A revoked task
     * that has not started never runs and its state becomes REVOKED, also when a worker holds
     * it for its ETA; with $terminate the worker also sends $signal to the process running it
     * (prefork pool only: the solo pool runs tasks in the worker itself).
     *
     * Revocations live in the workers' memory: a worker that is not connected when this is
     * sent never hears it.
     *
     * @param string|list<string> $taskIds one id or several (one broadcast)
     * @param string|int $signal "SIGTERM", "TERM", "SIGKILL", ... or a number; used with $terminate
     * @param list<string>|null $destination only the workers with these node names ("celery@host")
     * @return int how many workers heard it (PUBLISH's receiver count); 0 means none did
     * @throws CeleryBridgeException
     */
    public function revoke(
        string|array $taskIds,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int {
        return $this->control->revoke($taskIds, $terminate, $signal, $destination);
    }

    /**
     * The number of messages waiting in a queue (all its priority lists), task_default_queue
     * by default. Messages a worker has already taken, e.g. ones waiting for their ETA, are
     * not waiting here.
     *
     * @throws CeleryBridgeException
     */
    public function queueLength(?string $queue = null): int
    {
        return $this->queues->length($this->queueName($queue));
    }

    /**
     * Deletes every message waiting in a queue (all its priority lists), task_default_queue by
     * default, like `celery purge -Q <queue>`, and returns how many there were.
     *
     * @throws CeleryBridgeException
     */
    public function purgeQueue(?string $queue = null): int
    {
        return $this->queues->purge($this->queueName($queue));
    }

    /**
     * A handle on a task's result from its id alone, e.g. one kept in a session or a database.
     */
    public function result(string $taskId): AsyncResult
    {
        return new AsyncResult($taskId, $this->resultBackend, control: $this->control);
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

    private function queueName(?string $queue): string
    {
        // The same check as the queue option: the name becomes a Redis key that workers BRPOP.
        if ($queue === null) {
            return $this->config->defaultQueue;
        }
        return (string) TaskOptions::fromArray(['queue' => $queue])->queue;
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
