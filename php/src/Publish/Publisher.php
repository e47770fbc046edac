<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\Describe;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Exception\PublishOutcomeUnknown;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Message\OutgoingTask;
use CeleryBridge\Message\PublishHooks;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultHandles;
use Psr\Log\LoggerInterface;

/**
 * A client's publish pipeline: the template path (sendTask() without options) and the general
 * one (canvases, options, hooks, events, sendMany()'s chunks), both ending the same way: the
 * messages go to the transport, then the tasks are logged and announced to the after-publish
 * hooks, and their result handles returned.
 *
 * @internal
 */
final class Publisher
{
    /** sendMany() writes about this many messages per transport round trip (one MULTI/EXEC). */
    public const CHUNK = 200;

    /** The log line of a published task. */
    public const PUBLISHED = 'CeleryBridge: task {task} published as {task_id} to queue {queue}';

    /** The general path, made on first use (see chunks()). */
    private ?ChunkBuilder $chunks = null;
    /** Made when the first hook is added (or with the general path). */
    private ?PublishHooks $hooks = null;

    public function __construct(
        private readonly ClientConfig $config,
        private readonly Transport $transport,
        private readonly ResultHandles $handles,
        private readonly PlainPath $plain,
        private readonly string $origin,
        private readonly string $replyTo,
        private readonly ?LoggerInterface $logger,
    ) {
    }

    public function hooks(): PublishHooks
    {
        return $this->hooks ??= new PublishHooks();
    }

    /**
     * CeleryClient::sendTask(): the template path when the call fits it, else the general one.
     *
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @param array<string, mixed> $options
     * @throws CeleryBridgeException
     */
    public function sendTask(string $name, array $args, array $kwargs, array $options): AsyncResult
    {
        $plain = $options === [] ? $this->plain->message($name, $args, $kwargs, $this->hooks) : null;
        if ($plain === null) {
            $result = $this->send(new Signature($name, $args, $kwargs, $options));
            \assert($result instanceof AsyncResult);
            return $result;
        }
        try {
            $this->transport->publishPlain($plain);
        } catch (ConnectionFailed $e) {
            throw $this->logged($e->duringPublish([$plain->taskId], [], $plain->taskId));
        }
        $this->logger?->debug(self::PUBLISHED, ['task_id' => $plain->taskId, 'task' => $name, 'queue' => $plain->queue]);
        if ($this->hooks?->hasAfter()) {
            $this->hooks->announce(OutgoingTask::plain($plain->taskId, $name, $plain->queue, $plain->priority), $this->logger);
        }
        return $this->handles->sent($plain->taskId, $plain->queue);
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
        $result = $this->chunks()->add($chunk, $canvas, $options);
        $call = $canvas instanceof Signature ? $canvas->options->with($options) : TaskOptions::fromArray($options);
        try {
            if ($call->retry === null && $call->retryPolicy === []) {
                $this->transport->publish($chunk);
            } else {
                $this->transport->using(
                    $this->transport->retryPolicy()->forCall($call->retry, $call->retryPolicy),
                    fn () => $this->transport->publish($chunk),
                );
            }
        } catch (ConnectionFailed $e) {
            throw $this->logged($e->duringPublish($chunk->taskIds, [], $result->id, $chunk->failureNote(), count($chunk->taskIds)));
        }
        $this->published($chunk);
        return $result;
    }

    /**
     * CeleryClient::sendMany(): every message built first, then chunks of about CHUNK messages,
     * each one transaction; the failure contract is the one CeleryClient::sendMany() documents.
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
            if (count($chunk->taskIds) >= self::CHUNK) {
                $chunks[] = $chunk = new PublishChunk();
            }
            try {
                if (!$canvas instanceof Canvas) {
                    throw InvalidCanvas::notACanvas(get_debug_type($canvas));
                }
                $results[] = $this->chunks()->add($chunk, $canvas, $options);
            } catch (InvalidCanvas | InvalidOption | InvalidTaskArgument | SerializationFailed | RoutingFailed $e) {
                throw self::atElement($e, $key, count($results));
            }
        }
        $policy = $call->retry === null && $call->retryPolicy === []
            ? null : $this->transport->retryPolicy()->forCall($call->retry, $call->retryPolicy);
        foreach ($chunks as $k => $chunk) {
            try {
                if ($policy === null) {
                    $this->transport->publish($chunk);
                } else {
                    $this->transport->using($policy, fn () => $this->transport->publish($chunk));
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
            $this->published($chunk);
        }
        return $results;
    }

    /**
     * The general path, made on first use: a script that only sends tasks without options
     * never loads it (nor the canvas planner and the message builder).
     */
    private function chunks(): ChunkBuilder
    {
        return $this->chunks ??= new ChunkBuilder(
            $this->config,
            $this->transport,
            $this->handles,
            $this->plain,
            $this->hooks(),
            $this->origin,
            $this->replyTo,
            $this->logger !== null,
        );
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

    private function published(PublishChunk $chunk): void
    {
        foreach ($chunk->described as $task) {
            $this->logger?->debug(self::PUBLISHED, ['task_id' => $task->id, 'task' => $task->name, 'queue' => $task->queue]);
            $this->hooks?->announce($task, $this->logger);
        }
    }
}
