<?php

declare(strict_types=1);

namespace CeleryBridge;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Backend\RpcResultBackend;
use CeleryBridge\Backend\SavedGroup;
use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Events\Event;
use CeleryBridge\Events\EventStream;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Message\PlainTaskEncoder;
use CeleryBridge\Message\OutgoingTask;
use CeleryBridge\Publish\AmqpBroker;
use CeleryBridge\Publish\PlainPath;
use CeleryBridge\Publish\Publisher;
use CeleryBridge\Publish\RedisTransport;
use CeleryBridge\Publish\RpcResults;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultHandles;
use CeleryBridge\Result\ResultSet;
use CeleryBridge\Result\WorkerReach;
use CeleryBridge\Wire\Uuid;
use Psr\Log\LoggerInterface;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function array_map;
use function array_values;
use function gethostname;
use function getmypid;
use function implode;
use function is_array;
use function is_string;
use function str_starts_with;

/**
 * Sends tasks to Celery workers through Redis or RabbitMQ, and gives back handles on their results
 * (from the Redis result backend).
 *
 * Constructing a client does no I/O; the first publish connects.
 */
final class CeleryClient implements CeleryClientInterface
{
    // Publisher's constants, written out (CeleryClientTest holds them equal): a constant that
    // names another class's is evaluated again in every request that constructs a client.

    /** sendMany() writes about this many messages per MULTI/EXEC round trip. */
    public const CHUNK = 200;

    /** The debug line of a sendTask() whose kwargs hold apply_async option names. */
    public const KWARGS_LIKE_OPTIONS = 'CeleryBridge: task {task} was sent without options, and its kwargs '
        . 'hold {keys}, which are apply_async option names; if they were meant as options, pass them as '
        . 'sendTask(..., options: [...])';

    private readonly ClientConfig $config;
    /** The Redis broker connection: publishes, remote control, queue inspection, events; null over RabbitMQ. */
    private readonly ?RedisConnection $brokerConnection;
    /** Both publish paths, the route cache and what follows a publish. */
    private readonly Publisher $publisher;
    /** Makes the result handles. */
    private readonly ResultHandles $handles;
    /** The WorkerControl and QueueInspector, made on first use, that this client and its results reach. */
    private readonly WorkerReach $reach;

    /**
     * @param string|object|null $broker a Celery broker_url (redis://..., amqp://...) or a connected
     *        client (\Redis, Predis, a php-amqplib connection);
     *        null takes `broker_url` from $config
     * @param string|object|null $backend a Celery result_backend URL or a connected client; null
     *        takes `result_backend` from $config, if there is one
     * @param array<string, mixed> $config Celery setting names, e.g. task_default_queue, task_routes;
     *        a Python celeryconfig's settings can be passed as they are
     * @param LoggerInterface|null $logger a PSR-3 logger: debug for each task published (id, name,
     *        queue; never arguments), warning for each publish retry, error for a publish whose
     *        outcome is unknown
     * @throws CeleryBridgeException
     */
    public function __construct(
        #[\SensitiveParameter] string|object|null $broker = null,
        #[\SensitiveParameter] string|object|null $backend = null,
        #[\SensitiveParameter] array $config = [],
        ?LoggerInterface $logger = null,
    ) {
        $config = $config === [] ? [] : ClientConfig::withCeleryNames($config);
        // The arguments win over the celeryconfig's URLs, as Celery(broker=...) does; a
        // celeryconfig's broker_url may be a failover list.
        $broker ??= is_array($config['broker_url'] ?? null) ? $config['broker_url'] : ClientConfig::url($config, 'broker_url');
        $broker ??= throw InvalidConfiguration::noBroker();
        // A Redis URL or client, the common case, is told apart without loading the AMQP classes.
        $amqp = (is_string($broker) && str_starts_with($broker, 'redis')) || $broker instanceof \Redis
            ? null : AmqpBroker::of($broker, $config);
        if (is_array($broker) && $amqp === null) {
            // A list of Redis URLs is kombu's failover list, as "url1;url2".
            $broker = implode(';', array_map(static fn (mixed $url): string => is_string($url) ? $url : '', $broker));
        }
        // (A Redis client ignores the AMQP settings a shared celeryconfig may hold: ClientConfig
        // knows their names and reads nothing of them.) The parts are built from locals and stored
        // once: each property read takes PHP's slow path the first time a request runs it.
        $this->config = $settings = ClientConfig::fromArray($amqp === null ? $config : AmqpBroker::withoutAmqpSettings($config));
        $backend ??= isset($config['result_backend']) ? ClientConfig::url($config, 'result_backend') : null;
        $this->brokerConnection = $connection = $amqp === null ? $settings->brokerConnectionOptions->connect($broker) : null;
        // This client's oid: reply_to of its messages and of the canvas parts it freezes (the
        // rpc backend's queue); and its name in the origin header, "gen<pid>@<host>" as Celery writes it.
        $replyTo = Uuid::v4();
        $rpc = is_string($backend) && str_starts_with($backend, 'rpc') && RpcResultBackend::isRpcUrl($backend)
            ? ($amqp ?? throw RpcResults::needAmqpBroker())->rpcResults($replyTo, $settings)
            : null;
        $resultBackend = $backend === null || $rpc !== null ? null : new RedisResultBackend(
            $settings->backendConnectionOptions()->connect($backend),
            $settings->backendKeyPrefix,
            $settings->resultExpires,
            $settings->resultMaxSize,
        );
        // Remote control, queue tools and event streams over RabbitMQ: channels on connections of
        // their own, opened when first used (the publisher's stays a publisher's).
        $this->reach = $reach = new WorkerReach($connection, $settings, $amqp?->channels());
        $this->handles = $handles = new ResultHandles($rpc ?? $resultBackend, $reach);
        $origin = 'gen' . getmypid() . '@' . gethostname();
        $this->publisher = new Publisher(
            $settings,
            $connection === null
                ? $amqp?->transport($settings, $resultBackend, $rpc, $logger) ?? throw new \LogicException('No broker.')
                : RedisTransport::forClient($connection, $settings, $resultBackend, $reach, $logger),
            $handles,
            // The template path: Redis envelopes, or over AMQP the content header's bytes.
            new PlainPath($settings, $connection === null ? null : PlainTaskEncoder::forClient(
                $origin,
                $replyTo,
                $settings->protocol,
                $settings->serializer,
                $settings->compression,
            ), $amqp?->template($origin, $replyTo, $settings)),
            $origin,
            $replyTo,
            $logger,
        );
    }

    public function sendTask(string $name, array $args = [], array $kwargs = [], array $options = []): AsyncResult
    {
        return $this->publisher->sendTask($name, $args, $kwargs, $options);
    }

    /**
     * Adds a hook called for every task message before it is written (Celery's
     * before_task_publish signal): it sees the task's id, name and routing, and may return
     * custom headers to add to the message (e.g. TraceContext::headers() for trace
     * propagation); they win over the "headers" option. Hooks run in the order added, while the
     * messages are built: an exception from a hook, or a header a task message may not carry,
     * stops the publish before anything is written.
     *
     * @param callable(OutgoingTask): (array<string, mixed>|null) $hook
     */
    public function beforePublish(callable $hook): void
    {
        $this->publisher->hooks()->addBefore($hook);
    }

    /**
     * Adds a hook called for every task once its message is written (Celery's
     * after_task_publish signal). The task is queued by then, so an exception from the hook
     * does not fail the publish: it is logged as an error (or raised as a PHP warning when the
     * client has no logger), as Celery logs a failing signal receiver.
     *
     * @param callable(OutgoingTask): mixed $hook
     */
    public function afterPublish(callable $hook): void
    {
        $this->publisher->hooks()->addAfter($hook);
    }

    public function send(Canvas $canvas, array $options = [], array $args = [], array $kwargs = []): AsyncResult|GroupResult
    {
        return $this->publisher->send($canvas, $options, $args, $kwargs);
    }

    public function sendMany(iterable $canvases, array $options = []): array
    {
        return $this->publisher->sendMany($canvases, $options);
    }

    /**
     * Remote control of the workers (Celery's app.control): ping() and inspect() collect the
     * workers' replies, e.g. "is any worker up?" before sending:
     *
     *     $celery->control()->ping(timeout: 1.0);   // ["celery@host" => ["ok" => "pong"], ...]
     *     $celery->control()->inspect('active');    // node => the tasks it is running
     */
    public function control(): WorkerControl
    {
        return $this->reach->control();
    }

    /**
     * Celery's event stream (what `celery events` and Flower show), subscribed now: every
     * event published after this call is yielded, as a TaskEvent (taskId, name, result, ...),
     * a WorkerEvent or an OtherEvent, until $timeout seconds have passed (null: no limit) or
     * $until returns true for an event (that event is the last one yielded):
     *
     *     foreach ($celery->events(timeout: 30, until: fn ($e) => $e->type === 'worker-offline') as $event) {
     *         echo $event->type, ' ', $event->hostname, "\n";
     *     }
     *
     * @param (callable(Event): bool)|null $until
     * @param list<string>|null $types the event types to receive (default EventStream::TYPES)
     * @throws InvalidOption|ConnectionFailed
     */
    public function events(?float $timeout = null, ?callable $until = null, ?array $types = null): EventStream
    {
        return $this->brokerTools()->events($timeout, $until, $types);
    }

    public function revoke(
        string|array $taskIds,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int {
        return $this->control()->revoke($taskIds, $terminate, $signal, $destination);
    }

    /**
     * Revokes every task stamped with one of these values (the "stamps" option), as Celery
     * 5.3+'s app.control.revoke_by_stamped_headers() does: workers remember the stamps and
     * discard matching tasks they hold or receive later (stored REVOKED), e.g. a whole batch.
     * Workers before 5.3 ignore the command.
     *
     * @param array<string, string|list<string>> $headers stamp name => value or list of values
     * @param list<string>|null $destination only the workers with these node names
     * @return int how many workers heard it; 0 means none did
     * @throws CeleryBridgeException
     */
    public function revokeByStampedHeaders(
        array $headers,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int {
        return $this->control()->revokeByStampedHeaders($headers, $terminate, $signal, $destination);
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
        return $this->brokerTools()->queueLength($queue);
    }

    /**
     * Deletes every message waiting in a queue (all its priority lists), task_default_queue by
     * default, like `celery purge -Q <queue>`, and returns how many there were.
     *
     * @throws CeleryBridgeException
     */
    public function purgeQueue(?string $queue = null): int
    {
        return $this->brokerTools()->purgeQueue($queue);
    }

    public function result(string $taskId): AsyncResult
    {
        return $this->handles->lookup($taskId, $this->config->defaultQueue);
    }

    public function restoreGroup(string $groupId): ?GroupResult
    {
        return SavedGroup::restore($this->handles->backend, $this->reach, $groupId);
    }

    public function results(array $tasks): ResultSet
    {
        return new ResultSet(array_values(array_map(
            fn (string|AsyncResult $task): AsyncResult => $task instanceof AsyncResult ? $task : $this->result($task),
            $tasks,
        )));
    }

    /** Events and queue tools, loaded by their first use. */
    private function brokerTools(): BrokerTools
    {
        return new BrokerTools($this->brokerConnection, $this->reach->amqpChannels(), $this->reach, $this->config);
    }
}
