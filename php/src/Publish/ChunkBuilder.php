<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Backend\RpcResultBackend;
use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\CanvasPlanner;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Exception\NotSupportedByBackend;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\OutgoingTask;
use CeleryBridge\Message\PublishHooks;
use CeleryBridge\Message\TaskSentEvent;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultHandles;
use CeleryBridge\Wire\BodyEncoder;
use CeleryBridge\Wire\Uuid;

/**
 * The general publish path's first half: plans a canvas and builds every message of it into a
 * chunk (canvases, options, publish hooks, task-sent events). Made on first use, so that a
 * script that only calls sendTask() without options never loads it, nor the planner and the
 * message builder.
 *
 * @internal
 */
final class ChunkBuilder
{
    private ?MessageBuilder $builder = null;
    private ?CanvasPlanner $planner = null;
    /** Lamport clock of this client's task-sent events. */
    private int $eventClock = 0;
    private ?string $eventHostname = null;

    public function __construct(
        private readonly ClientConfig $config,
        private readonly Transport $transport,
        private readonly ResultHandles $handles,
        private readonly PlainPath $plain,
        private readonly PublishHooks $hooks,
        private readonly string $origin,
        private readonly string $replyTo,
        /** Whether the tasks are described for the log (the client has a logger). */
        private readonly bool $logs,
    ) {
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
     * sendMany()'s first half: every canvas's messages, in chunks of about $chunkSize tasks (the
     * validation happens here; nothing is written). A Signature without options, on a client
     * whose messages fit PlainTaskEncoder's template, takes its envelope in this loop: no
     * PlainMessage, no call for its ids (taken a batch at a time), its route looked up once per
     * task name; the bytes are those of add() (and of sendTask()).
     *
     * @param iterable<mixed> $canvases
     * @param array<string, mixed> $options
     * @return array{non-empty-list<PublishChunk>, list<AsyncResult|GroupResult>}
     * @throws CeleryBridgeException
     */
    public function addAll(iterable $canvases, array $options, int $chunkSize): array
    {
        $results = [];
        $chunks = [$chunk = new PublishChunk()];
        $encoder = $options === [] ? $this->plain->batchEncoder($this->hooks) : null;
        $describe = $this->logs || $this->hooks->hasAfter();
        /** @var array<string, array{Delivery, string, ?list<string>, AsyncResult}> $routes by name: route, list, parts, result model */
        $routes = [];
        // The task name of the last plain task: a batch often sends one task many times.
        $lastName = null;
        $delivery = $list = $parts = $model = null;
        $ids = [];
        $next = 0;
        // The plain tasks of $chunk not in it yet (locals cost less per task than its
        // properties): moved into it before add() and when the chunk is full.
        $writes = $taskIds = $described = [];
        // The list of the last of $writes: the next task to that list joins its LPUSH (LPUSH k a;
        // LPUSH k b leaves the list LPUSH k a b leaves), one write for a run of tasks to a queue.
        $pushTo = null;
        $last = 0;
        // How many tasks $chunk has, with those.
        $size = 0;
        // Every message is built before the first write: the process is checked once for all
        // their ids.
        Uuid::holdProcess();
        try {
            foreach ($canvases as $key => $canvas) {
                if ($size >= $chunkSize) {
                    self::fill($chunk, $writes, $taskIds, $described);
                    $writes = $taskIds = $described = [];
                    $pushTo = null;
                    $chunks[] = $chunk = new PublishChunk();
                    $size = 0;
                }
                try {
                    if ($encoder !== null && $canvas instanceof Signature && $canvas->optionless) {
                        $name = $canvas->task;
                        if ($name !== $lastName) {
                            if (!isset($routes[$name])) {
                                [$delivery, $list, $parts] = $this->plain->routeOf($name);
                                $routes[$name] = [$delivery, $list, $parts, $this->handles->modelFor($delivery->queue)];
                            }
                            [$delivery, $list, $parts, $model] = $routes[$name];
                            $lastName = $name;
                        }
                        if (!isset($ids[$next])) {
                            // Two ids a task (its id, then its delivery tag, as Uuid::pair()), for
                            // up to 64 tasks at a time.
                            $ids = Uuid::many(is_array($canvases) ? 2 * max(1, min(64, count($canvases) - count($results))) : 16);
                            $next = 0;
                        }
                        $taskId = $ids[$next];
                        $envelope = $parts === null
                            ? null
                            : $encoder->envelope($parts, $taskId, $canvas->args, $canvas->kwargs, $ids[$next + 1]);
                        if ($envelope !== null) {
                            // (RedisTransport::queuePlain()'s write: $encoder is only given on Redis.)
                            if ($list === $pushTo) {
                                $writes[$last][] = $envelope;
                            } else {
                                $writes[] = ['LPUSH', $list, $envelope];
                                $last = array_key_last($writes);
                                $pushTo = $list;
                            }
                            $taskIds[] = $taskId;
                            $next += 2;
                            ++$size;
                            if ($describe) {
                                $described[] = OutgoingTask::plain($taskId, $name, $delivery->queue, $delivery->priority);
                            }
                            // ResultHandles::sent()'s handle, copied here without a call to it.
                            $results[] = AsyncResult::copyOf($model, $taskId);
                            continue;
                        }
                    }
                    if (!$canvas instanceof Canvas) {
                        throw InvalidCanvas::notACanvas(get_debug_type($canvas));
                    }
                    if ($taskIds !== []) {
                        self::fill($chunk, $writes, $taskIds, $described);
                        $writes = $taskIds = $described = [];
                        $pushTo = null;
                    }
                    $results[] = $this->add($chunk, $canvas, $options);
                    $size = count($chunk->taskIds);
                } catch (InvalidCanvas | InvalidOption | InvalidTaskArgument | SerializationFailed | RoutingFailed $e) {
                    throw CanvasPublisher::atElement($e, $key, count($results));
                }
            }
        } finally {
            Uuid::releaseProcess();
        }
        self::fill($chunk, $writes, $taskIds, $described);
        return [$chunks, $results];
    }

    /**
     * Appends addAll()'s plain tasks to $chunk, after what add() put there.
     *
     * @param list<array<int, string|int>> $writes
     * @param list<string> $taskIds
     * @param list<OutgoingTask> $described
     */
    private static function fill(PublishChunk $chunk, array $writes, array $taskIds, array $described): void
    {
        $chunk->writes = $chunk->writes === [] ? $writes : [...$chunk->writes, ...$writes];
        $chunk->taskIds = $chunk->taskIds === [] ? $taskIds : [...$chunk->taskIds, ...$taskIds];
        $chunk->described = $chunk->described === [] ? $described : [...$chunk->described, ...$described];
    }

    /**
     * Plans a canvas and adds its messages to $chunk (the validation happens here).
     *
     * @param array<string, mixed> $options
     * @throws CeleryBridgeException
     */
    public function add(PublishChunk $chunk, Canvas $canvas, array $options): AsyncResult|GroupResult
    {
        $describe = $this->logs || $this->hooks->hasAfter();
        if ($canvas instanceof Signature && $options === [] && $canvas->optionless) {
            $plain = $this->plain->message($canvas->task, $canvas->args, $canvas->kwargs, $this->hooks);
            if ($plain !== null) {
                $this->transport->queuePlain($chunk, $plain);
                $chunk->taskIds[] = $plain->taskId;
                if ($describe) {
                    $chunk->described[] = OutgoingTask::plain($plain->taskId, $canvas->task, $plain->queue, $plain->priority);
                }
                return $this->handles->sent($plain->taskId, $plain->queue);
            }
        }
        $canvas = $options === [] ? $canvas : $canvas->withOptions($options);
        // Made on first use: sendTask() without options never needs it (a CLI script that sends
        // one task loads fewer files).
        $this->planner ??= new CanvasPlanner($this->replyTo, Uuid::v4(...), $this->handles);
        $plan = $this->planner->plan($canvas);
        if ($plan->chordSizes !== [] && $this->handles->backend === null) {
            throw InvalidCanvas::chordWithoutBackend();
        }
        if ($plan->chordSizes !== [] && $this->handles->backend instanceof RpcResultBackend) {
            // Celery's RPCBackend.ensure_chords_allowed(): refused before anything is sent.
            throw NotSupportedByBackend::chords();
        }
        $now = new \DateTimeImmutable('now', new \DateTimeZone('UTC'));
        $added = new PublishChunk();
        foreach ($plan->tasks as $task) {
            if ($task->chain !== null && $this->config->protocol === 1) {
                throw InvalidCanvas::chainWithProtocolOne();
            }
            $delivery = $this->config->deliveryFor($task->routeName ?? $task->signature->task, $task->signature->options);
            $outgoing = !$this->logs && !$this->hooks->hasBefore() && !$this->hooks->hasAfter()
                ? null
                : $this->outgoing($task->signature, $task->taskId, $delivery);
            $headers = $outgoing === null ? [] : $this->hooks->headersFor($outgoing);
            // The hooks' headers win over the "headers" option.
            $signature = $headers === []
                ? $task->signature
                : $task->signature->withOptions(['headers' => array_merge($outgoing->headers, $headers)]);
            $message = $this->builder()->build($signature, $task->taskId, $delivery, $now, Uuid::v4(), $task->embed());
            $this->transport->queue($added, $message, $delivery);
            if ($this->config->sendSentEvent && $this->config->protocol === 2) {
                // With the task: the event goes out if and only if the task does.
                $this->transport->announce($added, TaskSentEvent::fields(
                    $message,
                    $delivery,
                    $this->eventHostname(),
                    ++$this->eventClock,
                    microtime(true),
                ), $this->config->eventExchange, TaskSentEvent::ROUTING_KEY);
            }
            $chunk->taskIds[] = $task->taskId;
            if ($describe) {
                $chunk->described[] = $outgoing;
            }
        }
        array_push($chunk->writes, ...$added->writes);
        array_push($chunk->publishes, ...$added->publishes);
        $chunk->chordSizes += $plan->chordSizes;
        $chunk->savedGroups += $plan->savedGroups;
        if ($plan->result instanceof AsyncResult && count($plan->tasks) === 1) {
            // One task ($delivery is its routing): its handle, with what get() needs to know about it.
            $ignored = $plan->tasks[0]->signature->options->ignoreResult === true;
            return $this->handles->sent($plan->result->id, $delivery->queue, $ignored, $plan->result->parent);
        }
        return $plan->result;
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
     * The hostname of this client's events: Celery's clients write gen<pid>@<host>, this one
     * php<pid>@<host>, so Flower tells PHP senders apart.
     */
    private function eventHostname(): string
    {
        return $this->eventHostname ??= sprintf('php%d@%s', getmypid(), gethostname());
    }
}
