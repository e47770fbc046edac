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
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\Describe;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Exception\PublishOutcomeUnknown;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\OutgoingTask;
use CeleryBridge\Message\PublishHooks;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Message\TaskSentEvent;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Wire\BodyEncoder;
use CeleryBridge\Wire\Uuid;
use Psr\Log\LoggerInterface;

/**
 * CeleryClient's general publish path: canvases, options, publish hooks, task-sent events and
 * sendMany()'s chunks. Made on first use, so that a script that only calls sendTask() without
 * options (the template path) never loads it, nor the planner and the message builder.
 *
 * @internal
 */
final class CanvasSender
{
    private ?MessageBuilder $builder = null;
    private ?CanvasPlanner $planner = null;
    /** Lamport clock of this client's task-sent events. */
    private int $eventClock = 0;
    private ?string $eventHostname = null;
    /** Whether chord counters go in the broker's transaction (the backend is the same database). */
    private ?bool $counterInTransaction = null;

    /** @var array<string, true> queue lists LLEN answered for: a list, or no key yet */
    private array $listKeys = [];

    /**
     * @param \Closure(string, list<mixed>, array<array-key, mixed>): ?array{string, string, string, string, int} $plainEnvelope
     *        CeleryClient's template path, for the Signatures that fit it
     * @param \Closure(): WorkerControl $control CeleryClient::control(), for group results and events
     * @param \Closure(): QueueInspector $queues CeleryClient's, for the results' PENDING explanation
     */
    public function __construct(
        private readonly ClientConfig $config,
        private readonly RetryingPublisher $publisher,
        private readonly RedisBroker $broker,
        private readonly RedisConnection $brokerConnection,
        private readonly ?RedisResultBackend $resultBackend,
        private readonly \Closure $control,
        private readonly \Closure $queues,
        private readonly string $origin,
        private readonly string $replyTo,
        private readonly ?LoggerInterface $logger,
        private readonly PublishHooks $hooks,
        private readonly \Closure $plainEnvelope,
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
     * CeleryClient::send(): plans the canvas, builds every message, then writes them at once.
     *
     * @param array<string, mixed> $options
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @throws CeleryBridgeException
     */
    public function send(Canvas $canvas, array $options = [], array $args = [], array $kwargs = []): AsyncResult|GroupResult
    {
        $canvas = $canvas->withPartial($args, $kwargs);
        $chunk = new PublishChunk();
        $result = $this->add($chunk, $canvas, $options);
        $call = $canvas instanceof Signature ? $canvas->options->with($options) : TaskOptions::fromArray($options);
        try {
            if ($call->retry === null && $call->retryPolicy === []) {
                $this->write($chunk);
            } else {
                $this->publisher->using(
                    $this->publisher->policy->forCall($call->retry, $call->retryPolicy),
                    fn () => $this->write($chunk),
                );
            }
        } catch (ConnectionFailed $e) {
            throw $this->logged($e->duringPublish($chunk->taskIds, [], $result->id, $chunk->failureNote(), count($chunk->taskIds)));
        }
        $this->logPublished($chunk);
        return $result;
    }

    /**
     * CeleryClient::sendMany(): every message built first, then chunks of about
     * CeleryClient::CHUNK messages, each one MULTI/EXEC; the failure contract is the one
     * CeleryClient::sendMany() documents.
     *
     * @param iterable<Canvas> $canvases
     * @param array<string, mixed> $options
     * @return list<AsyncResult|GroupResult>
     * @throws CeleryBridgeException
     */
    public function sendMany(iterable $canvases, array $options = []): array
    {
        $results = [];
        // Options that are wrong for every element are said once, before any element.
        $call = TaskOptions::fromArray($options);
        $chunks = [$chunk = new PublishChunk()];
        foreach ($canvases as $key => $canvas) {
            if (count($chunk->taskIds) >= CeleryClient::CHUNK) {
                $chunks[] = $chunk = new PublishChunk();
            }
            try {
                if (!$canvas instanceof Canvas) {
                    throw InvalidCanvas::notACanvas(get_debug_type($canvas));
                }
                $results[] = $this->add($chunk, $canvas, $options);
            } catch (InvalidCanvas | InvalidOption | InvalidTaskArgument | SerializationFailed | RoutingFailed $e) {
                throw self::atElement($e, $key, count($results));
            }
        }
        $policy = $call->retry === null && $call->retryPolicy === []
            ? null : $this->publisher->policy->forCall($call->retry, $call->retryPolicy);
        foreach ($chunks as $k => $chunk) {
            try {
                if ($policy === null) {
                    $this->write($chunk);
                } else {
                    $this->publisher->using($policy, fn () => $this->write($chunk));
                }
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
     * The same validation error, naming the element of sendMany()'s list it is about (nothing
     * has been written yet: every message is built before the first write).
     *
     * @template E of InvalidCanvas|InvalidOption|InvalidTaskArgument|SerializationFailed|RoutingFailed
     * @param E $e
     * @return E
     */
    private static function atElement(\Throwable $e, mixed $key, int $position): \Throwable
    {
        $where = is_int($key) && $key === $position ? sprintf('[%d]', $key) : sprintf(
            '[%s] (position %d)',
            is_int($key) ? $key : var_export(Describe::text((string) $key, 80), true),
            $position,
        );
        $class = $e::class;
        return new $class(sprintf('sendMany() element %s: %s', $where, $e->getMessage()), (int) $e->getCode(), $e);
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
            $plain = ($this->plainEnvelope)($canvas->task, $canvas->args, $canvas->kwargs);
            if ($plain !== null) {
                [$taskId, $envelope, $list, $queue] = $plain;
                $chunk->writes[] = ['LPUSH', $list, $envelope];
                $chunk->taskIds[] = $taskId;
                if ($this->logger !== null || $this->hooks->hasAfter()) {
                    $chunk->described[] = OutgoingTask::plain($taskId, $canvas->task, $queue, $plain[4]);
                }
                return AsyncResult::sent($taskId, $this->resultBackend, $this->control, $this->queues, $queue);
            }
        }
        $canvas = $options === [] ? $canvas : $canvas->withOptions($options);
        // Made on first use: sendTask() without options never needs it (a CLI script that sends
        // one task loads fewer files).
        $this->planner ??= new CanvasPlanner(
            $this->replyTo,
            Uuid::v4(...),
            fn (string $id, AsyncResult|GroupResult|null $parent): AsyncResult
                => new AsyncResult($id, $this->resultBackend, $parent, $this->control),
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
            $delivery = $this->config->deliveryFor($task->routeName ?? $task->signature->task, $task->signature->options);
            $outgoing = $this->logger === null && !$this->hooks->hasBefore() && !$this->hooks->hasAfter()
                ? null
                : $this->outgoing($task->signature, $task->taskId, $delivery);
            $added = $outgoing === null ? [] : $this->hooks->headersFor($outgoing);
            // The hooks' headers win over the "headers" option.
            $signature = $added === []
                ? $task->signature
                : $task->signature->withOptions(['headers' => array_merge($outgoing->headers, $added)]);
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
            if ($this->logger !== null || $this->hooks->hasAfter()) {
                $chunk->described[] = $outgoing;
            }
        }
        array_push($chunk->writes, ...$writes);
        $chunk->chordSizes += $plan->chordSizes;
        $chunk->savedGroups += $plan->savedGroups;
        if ($plan->result instanceof AsyncResult && count($plan->tasks) === 1) {
            // One task ($delivery is its routing): what get() needs to know about it.
            if ($plan->tasks[0]->signature->options->ignoreResult === true) {
                $plan->result->markIgnored();
            }
            $plan->result->explainPendingWith($this->queues, $delivery->queue, true);
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
        $unchecked = $this->uncheckedListKeys($chunk->writes);
        $this->publisher->transaction(
            $before === [] ? $chunk->writes : [...$before, ...$chunk->writes],
            $unchecked === [] ? null : fn () => $this->checkListKeys($unchecked),
        );
    }

    /**
     * Inside MULTI/EXEC an LPUSH to a key of another type fails alone (WRONGTYPE) and the
     * other writes stay: part of a canvas would be queued. Each queue key is checked once
     * (LLEN) before its first transaction, so such a key refuses the whole transaction.
     *
     * @param list<array<int, string|int>> $writes
     * @return list<string> the LPUSH keys not checked yet
     */
    private function uncheckedListKeys(array $writes): array
    {
        $keys = [];
        foreach ($writes as $write) {
            if ($write[0] === 'LPUSH' && !isset($this->listKeys[(string) $write[1]])) {
                $keys[(string) $write[1]] = true;
            }
        }
        return array_keys($keys);
    }

    /**
     * The LLENs, run by the publisher before the transaction (retried and bounded as its PING).
     *
     * @param list<string> $keys
     * @throws ConnectionFailed
     */
    private function checkListKeys(array $keys): void
    {
        foreach ($keys as $key) {
            try {
                $this->publisher->connection()->lLen($key);
            } catch (ConnectionFailed $e) {
                if (!str_contains($e->getMessage(), 'WRONGTYPE')) {
                    throw $e;
                }
                throw ConnectionFailed::because(
                    $this->publisher->connection()->describe(),
                    sprintf('the queue key "%s" holds a value of another type, not a list; nothing of this send was '
                        . 'written. Delete or rename that key (a worker could not read it either).', Describe::text($key, 200)),
                    $e,
                );
            }
            $this->listKeys[$key] = true;
        }
    }

    /**
     * @template E of ConnectionFailed
     * @param E $e
     * @return E
     */
    public function logged(ConnectionFailed $e): ConnectionFailed
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
            $this->logger?->debug(CeleryClient::PUBLISHED, ['task_id' => $task->id, 'task' => $task->name, 'queue' => $task->queue]);
            $this->hooks->announce($task, $this->logger);
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
     * The hostname of this client's events: Celery's clients write gen<pid>@<host>, this one
     * php<pid>@<host>, so Flower tells PHP senders apart.
     */
    private function eventHostname(): string
    {
        return $this->eventHostname ??= sprintf('php%d@%s', getmypid(), gethostname());
    }

    private function eventChannel(): string
    {
        return ($this->control)()->fanoutChannel($this->config->eventExchange, TaskSentEvent::ROUTING_KEY);
    }

    private function chordCounterInTransaction(): bool
    {
        return $this->counterInTransaction ??= $this->resultBackend !== null
            && $this->resultBackend->sharesDatabaseWith($this->brokerConnection);
    }
}
