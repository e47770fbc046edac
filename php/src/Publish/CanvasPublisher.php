<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\Signature;
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
use Psr\Log\LoggerInterface;

/**
 * Publisher's general path: send() and sendMany() build every message first (ChunkBuilder),
 * then write them in chunks through the transport, then log and announce each task. Made on
 * first use, so that a script that only calls sendTask() without options never compiles it.
 *
 * @internal
 */
final class CanvasPublisher
{
    public function __construct(
        private readonly Transport $transport,
        private readonly ChunkBuilder $chunks,
        private readonly PublishHooks $hooks,
        private readonly ?LoggerInterface $logger,
        /** About this many messages per transaction (Publisher::CHUNK). */
        private readonly int $chunkSize,
    ) {
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
        $result = $this->chunks->add($chunk, $canvas, $options);
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
            $ids = $chunk->taskIds;
            throw self::logged($this->logger, $e->duringPublish($ids, [], $result->id, $chunk->failureNote(), count($ids)));
        }
        $this->published($chunk);
        return $result;
    }

    /**
     * CeleryClient::sendMany(): every message built first, then chunks of about $chunkSize messages,
     * each one transaction; the failure contract is the one CeleryClient::sendMany() documents.
     *
     * @param iterable<Canvas> $canvases
     * @param array<string, mixed> $options
     * @return list<AsyncResult|GroupResult>
     * @throws CeleryBridgeException
     */
    public function sendMany(iterable $canvases, array $options = []): array
    {
        // Options that are wrong for every element are said once, before any element.
        $call = TaskOptions::fromArray($options);
        [$chunks, $results] = $this->chunks->addAll($canvases, $options, $this->chunkSize);
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
                throw self::logged($this->logger, $e->duringPublish(
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
     * The same validation error, naming the element of sendMany()'s list it is about (nothing
     * has been written yet: every message is built before the first write).
     *
     * @template E of InvalidCanvas|InvalidOption|InvalidTaskArgument|SerializationFailed|RoutingFailed
     * @param E $e
     * @return E
     */
    public static function atElement(\Throwable $e, mixed $key, int $position): \Throwable
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
    public static function logged(?LoggerInterface $logger, ConnectionFailed $e): ConnectionFailed
    {
        if ($e instanceof PublishOutcomeUnknown) {
            $logger?->error('CeleryBridge: {count} task(s) may or may not be queued: {error}', [
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
            $this->logger?->debug(OutgoingTask::PUBLISHED, ['task_id' => $task->id, 'task' => $task->name, 'queue' => $task->queue]);
            $this->hooks->announce($task, $this->logger);
        }
    }
}
