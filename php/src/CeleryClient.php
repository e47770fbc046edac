<?php

declare(strict_types=1);

namespace CeleryBridge;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Broker\QueueInspector;
use CeleryBridge\Broker\RedisBroker;
use CeleryBridge\Broker\RetryingPublisher;
use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\CanvasPlanner;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Canvas\TaskName;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\ConnectionFactory;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\PublishOutcomeUnknown;
use CeleryBridge\Message\BodyEncoder;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\OutgoingTask;
use CeleryBridge\Message\PlainTaskEncoder;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Message\TaskSentEvent;
use CeleryBridge\Message\Uuid;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultSet;
use CeleryBridge\Result\ResultTuple;
use Psr\Log\LoggerInterface;

/**
 * Sends tasks to Celery workers through Redis, and gives back handles on their results.
 *
 * Constructing a client does no I/O; the first publish connects.
 */
final class CeleryClient
{
    /** How many task names sendTask() remembers the route of. */
    private const PLAIN_ROUTES = 1000;

    /** sendMany() writes about this many messages per MULTI/EXEC round trip. */
    public const CHUNK = 200;

    private const PUBLISHED = 'CeleryBridge: task {task} published as {task_id} to queue {queue}';

    private readonly ClientConfig $config;
    private readonly RedisConnection $brokerConnection;
    private readonly RedisBroker $broker;
    /** Writes task messages under the publish retry policy. */
    private readonly RetryingPublisher $publisher;
    /** Built on first use: a plain sendTask() needs only the template (PlainTaskEncoder). */
    private ?MessageBuilder $builder = null;
    /** This client's name in the origin header, "gen<pid>@<host>" as Celery writes it. */
    private readonly string $origin;
    private readonly ?RedisResultBackend $resultBackend;
    private readonly WorkerControl $control;
    private readonly QueueInspector $queues;
    private ?CanvasPlanner $planner = null;
    /** This client's oid: reply_to of its messages and of the canvas parts it freezes. */
    private readonly string $replyTo;
    /** The template for sendTask() without options; null when this client's messages have another shape. */
    private readonly ?PlainTaskEncoder $plainEncoder;
    /** @var array<string, array{Delivery, string}> where a task name without options goes, and its list */
    private array $plainRoutes = [];
    /** @var list<callable(OutgoingTask): ?array<string, mixed>> see beforePublish() */
    private array $beforePublish = [];
    /** @var list<callable(OutgoingTask): mixed> see afterPublish() */
    private array $afterPublish = [];
    /** Lamport clock of this client's task-sent events. */
    private int $eventClock = 0;
    /** Whether chord counters go in the broker's transaction (the backend is the same database). */
    private ?bool $counterInTransaction = null;

    /**
     * @param string|object|null $broker a Celery broker_url (redis://...) or a connected client;
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
        private readonly ?LoggerInterface $logger = null,
    ) {
        $this->config = ClientConfig::fromArray($config);
        // The arguments win over the celeryconfig's URLs, as Celery(broker=...) does.
        $broker ??= ClientConfig::url($config, 'broker_url') ?? throw InvalidConfiguration::noBroker();
        $backend ??= ClientConfig::url($config, 'result_backend');
        $settings = $this->config->brokerConnection;
        $this->brokerConnection = ConnectionFactory::create($broker, $settings);
        $this->broker = new RedisBroker($this->brokerConnection, $this->config->queueKeys);
        $this->publisher = new RetryingPublisher($this->brokerConnection, $settings->retryPolicy, null, $settings->healthCheckInterval);
        if ($logger !== null) {
            $this->publisher->onRetry(static function (ConnectionFailed $e, int $attempt, float $delay) use ($logger): void {
                $logger->warning('CeleryBridge: publish attempt {attempt} failed, retrying in {delay} s: {error}', [
                    'attempt' => $attempt,
                    'delay' => $delay,
                    'error' => $e->getMessage(),
                ]);
            });
        }
        $this->resultBackend = $backend === null ? null : RedisResultBackend::fromOptions(
            ConnectionFactory::create($backend, $this->config->backendConnection, ConnectionFactory::BACKEND),
            $this->config->backendTransportOptions,
            $this->config->resultExpires,
            $this->config->resultMaxSize,
        );
        $this->control = WorkerControl::fromConfig($this->brokerConnection, $this->config);
        $this->queues = new QueueInspector($this->brokerConnection, $this->config->queueKeys);
        $this->replyTo = Uuid::v4();
        $this->origin = sprintf('gen%d@%s', getmypid(), gethostname());
        $this->plainEncoder = PlainTaskEncoder::forClient(
            $this->origin,
            $this->replyTo,
            $this->config->protocol,
            $this->config->serializer,
            $this->config->compression,
        );
    }

    private function builder(): MessageBuilder
    {
        return $this->builder ??= new MessageBuilder(
            origin: $this->origin,
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
        $plain = $options === [] ? $this->plainEnvelope($name, $args, $kwargs) : null;
        if ($plain !== null) {
            [$taskId, $envelope, $list, $queue] = $plain;
            try {
                $this->publisher->lPush($list, $envelope);
            } catch (ConnectionFailed $e) {
                throw $this->logged($e->duringPublish([$taskId], [], $taskId));
            }
            $this->logger?->debug(self::PUBLISHED, ['task_id' => $taskId, 'task' => $name, 'queue' => $queue]);
            if ($this->afterPublish !== []) {
                $this->announce(self::plainOutgoing($name, $plain));
            }
            return $this->sentTo($this->newResult($taskId, null), $queue);
        }
        $result = $this->send(new Signature($name, $args, $kwargs, $options));
        \assert($result instanceof AsyncResult);
        return $result;
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
        $this->beforePublish[] = $hook;
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
        $this->afterPublish[] = $hook;
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
     * @param list<mixed> $args partial arguments, as Celery's canvas.apply_async(args, kwargs)
     *        takes them (see Canvas::withPartial())
     * @param array<string, mixed> $kwargs partial keyword arguments
     * @throws CeleryBridgeException
     */
    public function send(Canvas $canvas, array $options = [], array $args = [], array $kwargs = []): AsyncResult|GroupResult
    {
        $canvas = $canvas->withPartial($args, $kwargs);
        $chunk = new PublishChunk();
        $result = $this->add($chunk, $canvas, $options);
        try {
            $this->write($chunk);
        } catch (ConnectionFailed $e) {
            throw $this->logged($e->duringPublish($chunk->taskIds, [], $result->id, $chunk->failureNote(), count($chunk->taskIds)));
        }
        $this->logPublished($chunk);
        return $result;
    }

    /**
     * Sends many canvases (Signatures, chains, groups, chords) in pipelined round trips, like
     * calling send() for each with the same options, only much faster.
     *
     * Every message is built before the first write, so invalid input writes nothing. They go
     * out in chunks of about CHUNK messages, each chunk one MULTI/EXEC: a chunk is queued whole
     * or not at all, and a canvas never spans two chunks. When a chunk fails, the chunks before
     * it are queued (ConnectionFailed::queuedTaskIds()), its tasks and all later ones are not
     * known to be (taskIds()); for PublishOutcomeUnknown the chunk's tasks are all queued or none
     * (uncertainTaskIds()), and the later chunks were not sent. Nothing is ever resent.
     *
     * @param iterable<Canvas> $canvases
     * @param array<string, mixed> $options apply_async options laid over each canvas
     * @return list<AsyncResult|GroupResult> in the order of $canvases
     * @throws CeleryBridgeException
     */
    public function sendMany(iterable $canvases, array $options = []): array
    {
        $results = [];
        $chunks = [$chunk = new PublishChunk()];
        foreach ($canvases as $canvas) {
            if (!$canvas instanceof Canvas) {
                throw InvalidCanvas::notACanvas(get_debug_type($canvas));
            }
            if (count($chunk->taskIds) >= self::CHUNK) {
                $chunks[] = $chunk = new PublishChunk();
            }
            $results[] = $this->add($chunk, $canvas, $options);
        }
        foreach ($chunks as $k => $chunk) {
            try {
                $this->write($chunk);
            } catch (ConnectionFailed $e) {
                $ids = static fn (array $chunks): array => array_merge([], ...array_map(
                    static fn (PublishChunk $c): array => $c->taskIds,
                    $chunks,
                ));
                throw $this->logged($e->duringPublish(
                    [...$chunk->taskIds, ...$ids(array_slice($chunks, $k + 1))],
                    $ids(array_slice($chunks, 0, $k)),
                    null,
                    $chunk->failureNote(),
                    count($chunk->taskIds),
                ));
            }
            $this->logPublished($chunk);
        }
        return $results;
    }

    /**
     * Plans a canvas and adds its messages to $chunk (the validation happens here).
     *
     * @param array<string, mixed> $options
     * @throws CeleryBridgeException
     */
    private function add(PublishChunk $chunk, Canvas $canvas, array $options): AsyncResult|GroupResult
    {
        if ($canvas instanceof Signature && $options === [] && $canvas->hasNoOptions()) {
            $plain = $this->plainEnvelope($canvas->task, $canvas->args, $canvas->kwargs);
            if ($plain !== null) {
                [$taskId, $envelope, $list, $queue] = $plain;
                $chunk->writes[] = ['LPUSH', $list, $envelope];
                $chunk->taskIds[] = $taskId;
                if ($this->logger !== null || $this->afterPublish !== []) {
                    $chunk->described[] = self::plainOutgoing($canvas->task, $plain);
                }
                return $this->sentTo($this->newResult($taskId, null), $queue);
            }
        }
        $canvas = $options === [] ? $canvas : $canvas->withOptions($options);
        // Made on first use: sendTask() without options never needs it (a CLI script that sends
        // one task loads fewer files).
        $this->planner ??= new CanvasPlanner(
            $this->replyTo,
            Uuid::v4(...),
            $this->newResult(...),
            fn (string $id, array $results, AsyncResult|GroupResult|null $parent): GroupResult
                => new GroupResult($id, $results, $parent, $this->control),
        );
        $plan = $this->planner->plan($canvas);
        if ($plan->chordSizes !== [] && $this->resultBackend === null) {
            throw InvalidCanvas::chordWithoutBackend();
        }
        $now = new \DateTimeImmutable('now', new \DateTimeZone('UTC'));
        $writes = [];
        foreach ($plan->tasks as $task) {
            if ($task->chain !== null && $this->config->protocol === 1) {
                throw InvalidCanvas::chainWithProtocolOne();
            }
            $delivery = $this->deliveryFor($task->signature->task, $task->signature->options);
            $outgoing = $this->logger === null && $this->beforePublish === [] && $this->afterPublish === []
                ? null
                : $this->outgoing($task->signature, $task->taskId, $delivery);
            $signature = $outgoing === null || $this->beforePublish === []
                ? $task->signature
                : $this->withHookHeaders($task->signature, $outgoing);
            $message = $this->builder()->build(
                $signature,
                $task->taskId,
                $delivery,
                $now,
                Uuid::v4(),
                $task->embed(),
            );
            array_push($writes, ...$this->broker->writesFor($message->toEnvelope(), $delivery));
            if ($this->config->sendSentEvent && $this->config->protocol === 2) {
                // In the same transaction: the event goes out if and only if the task does.
                $writes[] = ['PUBLISH', $this->eventChannel(), TaskSentEvent::envelope(
                    $message,
                    $delivery,
                    $this->eventHostname(),
                    ++$this->eventClock,
                    microtime(true),
                    $this->config->eventExchange,
                    Uuid::v4(),
                )];
            }
            $chunk->taskIds[] = $task->taskId;
            if ($this->logger !== null || $this->afterPublish !== []) {
                $chunk->described[] = $outgoing;
            }
        }
        array_push($chunk->writes, ...$writes);
        $chunk->chordSizes += $plan->chordSizes;
        $chunk->savedGroups += $plan->savedGroups;
        if ($plan->result instanceof AsyncResult && count($plan->tasks) === 1) {
            if ($plan->tasks[0]->signature->options->ignoreResult === true) {
                $plan->result->markIgnored();
            }
            return $this->sentTo($plan->result, $delivery->queue);
        }
        return $plan->result;
    }

    /**
     * Writes a chunk: one message alone with LPUSH, anything more (with the chord counters, when
     * the result backend is the broker's database) in one MULTI/EXEC.
     *
     * @throws ConnectionFailed
     */
    private function write(PublishChunk $chunk): void
    {
        if ($chunk->writes === []) {
            return;
        }
        if (count($chunk->writes) === 1 && $chunk->chordSizes === []) {
            $this->publisher->lPush($chunk->writes[0][1], (string) $chunk->writes[0][2]);
            return;
        }
        $before = [];
        foreach ($chunk->savedGroups as $groupId => $header) {
            \assert($this->resultBackend !== null);
            if ($this->chordCounterInTransaction()) {
                $before[] = $this->resultBackend->saveGroupWrite((string) $groupId, $header->asTuple());
            } else {
                $this->resultBackend->saveGroup((string) $groupId, $header->asTuple());
                $chunk->counterStored = true;
            }
        }
        foreach ($chunk->chordSizes as $groupId => $size) {
            \assert($this->resultBackend !== null);
            if ($this->chordCounterInTransaction()) {
                array_push($before, ...$this->resultBackend->chordSizeWrites((string) $groupId, $size));
            } else {
                // Another server or database: the counter must exist before any header task can
                // finish, so it goes first, on its own.
                $this->resultBackend->setChordSize((string) $groupId, $size);
                $chunk->counterStored = true;
            }
        }
        $this->publisher->transaction($before === [] ? $chunk->writes : [...$before, ...$chunk->writes]);
    }

    /**
     * @template E of ConnectionFailed
     * @param E $e
     * @return E
     */
    private function logged(ConnectionFailed $e): ConnectionFailed
    {
        if ($e instanceof PublishOutcomeUnknown) {
            $this->logger?->error('CeleryBridge: {count} task(s) may or may not be queued: {error}', [
                'count' => count($e->uncertainTaskIds()),
                'task_ids' => $e->uncertainTaskIds(),
                'error' => $e->getMessage(),
            ]);
        }
        return $e;
    }

    private function logPublished(PublishChunk $chunk): void
    {
        foreach ($chunk->described as $task) {
            $this->logger?->debug(self::PUBLISHED, ['task_id' => $task->id, 'task' => $task->name, 'queue' => $task->queue]);
            if ($this->afterPublish !== []) {
                $this->announce($task);
            }
        }
    }

    /**
     * What the hooks (and the log) see of a task about to be published.
     */
    private function outgoing(Signature $signature, string $taskId, Delivery $delivery): OutgoingTask
    {
        $options = $signature->options;
        $headers = $options->toArray()['headers'] ?? [];
        return new OutgoingTask(
            $taskId,
            $signature->task,
            $delivery->queue,
            $delivery->exchange,
            $delivery->routingKey(),
            $delivery->priority,
            $options->rootId ?? $taskId,
            $options->parentId,
            is_array($headers) ? $headers : [],
        );
    }

    /**
     * The signature with the headers the before-publish hooks return laid over its own.
     *
     * @throws CeleryBridgeException
     */
    private function withHookHeaders(Signature $signature, OutgoingTask $task): Signature
    {
        $added = [];
        foreach ($this->beforePublish as $hook) {
            $headers = $hook($task);
            if ($headers === null || $headers === []) {
                continue;
            }
            if (!is_array($headers) || array_is_list($headers)) {
                throw InvalidOption::invalid('headers', $headers, 'a before-publish hook must return an array of '
                    . 'header name => value, or null.');
            }
            $added = array_merge($added, $headers);
        }
        return $added === [] ? $signature : $signature->withOptions(['headers' => array_merge($task->headers, $added)]);
    }

    /**
     * A task of the template path as the hooks see it: no options, so no exchange, custom headers
     * or parents.
     *
     * @param array{string, string, string, string, int} $plain what plainEnvelope() returned
     */
    private static function plainOutgoing(string $name, array $plain): OutgoingTask
    {
        [$taskId, , , $queue, $priority] = $plain;
        return new OutgoingTask($taskId, $name, $queue, '', $queue, $priority, $taskId);
    }

    /**
     * Calls the after-publish hooks; a failing hook is reported, never thrown (the task is queued).
     */
    private function announce(OutgoingTask $task): void
    {
        foreach ($this->afterPublish as $hook) {
            try {
                $hook($task);
            } catch (\Throwable $e) {
                $message = 'CeleryBridge: an after-publish hook failed for task {task_id}: {error}';
                $context = ['task_id' => $task->id, 'task' => $task->name, 'error' => $e->getMessage(), 'exception' => $e];
                if ($this->logger !== null) {
                    $this->logger->error($message, $context);
                } else {
                    trigger_error(strtr($message, ['{task_id}' => $task->id, '{error}' => $e->getMessage()]), E_USER_WARNING);
                }
            }
        }
    }

    /**
     * The hostname of this client's events: Celery's clients write gen<pid>@<host>, this one
     * php<pid>@<host>, so Flower tells PHP senders apart.
     */
    private function eventHostname(): string
    {
        return sprintf('php%d@%s', getmypid(), gethostname());
    }

    private function eventChannel(): string
    {
        return $this->control->fanoutChannel($this->config->eventExchange, TaskSentEvent::ROUTING_KEY);
    }

    private function chordCounterInTransaction(): bool
    {
        return $this->counterInTransaction ??= $this->resultBackend !== null
            && $this->resultBackend->sharesDatabaseWith($this->brokerConnection);
    }

    /**
     * The common call without options, from PlainTaskEncoder's template: the same bytes as the
     * general path, without the canvas planner. Null when the arguments need the general path.
     *
     * @param list<mixed> $args
     * @param array<array-key, mixed> $kwargs
     * @return array{string, string, string, string, int}|null the task id, the envelope, its list, its queue and priority
     * @throws CeleryBridgeException
     */
    private function plainEnvelope(string $name, array $args, array $kwargs): ?array
    {
        if ($this->plainEncoder === null || $this->config->sendSentEvent || $this->beforePublish !== []) {
            // The template writes no task-sent event and has no place for the headers hooks add:
            // the general path does both.
            return null;
        }
        [$delivery, $list] = $this->plainRoutes[$name] ?? $this->plainRoute($name);
        [$taskId, $deliveryTag] = Uuid::pair();
        $envelope = $this->plainEncoder->envelope($name, $taskId, $args, $kwargs, $deliveryTag, $delivery);
        return $envelope === null ? null : [$taskId, $envelope, $list, $delivery->queue, $delivery->priority];
    }

    /**
     * Validates the name and routes it (task_routes depend on the name alone here), remembered
     * for a bounded number of names. A named exchange gets no list: the template refuses it.
     *
     * @return array{Delivery, string}
     * @throws CeleryBridgeException
     */
    private function plainRoute(string $name): array
    {
        TaskName::check($name);
        $delivery = $this->deliveryFor($name, null);
        $route = [$delivery, $delivery->exchange === '' ? $this->broker->listFor($delivery) : ''];
        if (count($this->plainRoutes) < self::PLAIN_ROUTES) {
            $this->plainRoutes[$name] = $route;
        }
        return $route;
    }

    private function newResult(string $id, AsyncResult|GroupResult|null $parent): AsyncResult
    {
        return new AsyncResult($id, $this->resultBackend, $parent, $this->control);
    }

    /**
     * A get() that times out on this PENDING task looks at the queue it went to, and says
     * whether the message still waits there or a worker took it without storing a result.
     */
    private function sentTo(AsyncResult $result, string $queue): AsyncResult
    {
        $result->explainPendingWith($this->queues, $queue, true);
        return $result;
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
        return $this->control;
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
        return $this->control->revokeByStampedHeaders($headers, $terminate, $signal, $destination);
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
        $result = new AsyncResult($taskId, $this->resultBackend, control: $this->control);
        $result->explainPendingWith($this->queues, $this->config->defaultQueue, false);
        return $result;
    }

    /**
     * The group a GroupResult::save() (here, or Python's GroupResult.save()) stored, rebuilt from
     * its id: Celery's GroupResult.restore(). Null when none was saved (or it expired).
     *
     * @throws CeleryBridgeException
     */
    public function restoreGroup(string $groupId): ?GroupResult
    {
        if ($this->resultBackend === null) {
            throw NoResultBackend::configured($groupId);
        }
        $tuple = $this->resultBackend->groupTuple($groupId);
        if ($tuple === null) {
            return null;
        }
        $result = ResultTuple::toResult($tuple, $this->resultBackend, $this->control, $groupId);
        return $result instanceof GroupResult ? $result : throw CorruptResult::in($groupId, 'the saved value is not a group.');
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
    private function deliveryFor(string $task, ?TaskOptions $options): Delivery
    {
        $route = $this->config->routes?->route($task) ?? [];
        $exchange = $options?->exchange ?? $route['exchange'] ?? '';
        $routingKey = $options?->routingKey ?? $route['routing_key'] ?? null;
        $queue = $options?->queue ?? $route['queue'] ?? $this->config->defaultQueue;
        $priority = $options?->priority ?? $route['priority'] ?? $this->config->defaultPriority ?? 0;
        // Celery only routes through a named exchange when both exchange and routing key are
        // set; otherwise it publishes to the queue through the anonymous exchange.
        if ($exchange === '' || $routingKey === null) {
            return new Delivery($queue, $priority);
        }
        return new Delivery($queue, $priority, $exchange, $routingKey);
    }
}
