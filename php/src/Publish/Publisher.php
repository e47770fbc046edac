<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Message\OutgoingTask;
use CeleryBridge\Message\PublishHooks;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultHandles;
use Psr\Log\LoggerInterface;

use function array_intersect;
use function array_keys;
use function array_map;
use function array_values;
use function implode;

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
    /** sendMany() writes about this many messages per chunk (Redis: one MULTI/EXEC; AMQP: one wait for confirms). */
    public const CHUNK = 200;

    /**
     * sendTask($name, $args, ['queue' => ...]) puts options into kwargs: the worker then calls
     * the task with queue=... (a TypeError there, or worse, after the countdown that was meant).
     * Only a debug line: a task may well take a keyword named like an option.
     */
    public const KWARGS_LIKE_OPTIONS = 'CeleryBridge: task {task} was sent without options, and its kwargs '
        . 'hold {keys}, which are apply_async option names; if they were meant as options, pass them as '
        . 'sendTask(..., options: [...])';

    /** The general path, made on first use (see canvases()). */
    private ?CanvasPublisher $canvases = null;
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
        if ($options === [] && $kwargs !== [] && $this->logger !== null) {
            $this->noteOptionLikeKwargs($name, $kwargs);
        }
        $plain = $options === [] ? $this->plain->message($name, $args, $kwargs, $this->hooks) : null;
        if ($plain === null) {
            $result = $this->send(new Signature($name, $args, $kwargs, $options));
            \assert($result instanceof AsyncResult);
            return $result;
        }
        try {
            $this->transport->publishPlain($plain);
        } catch (ConnectionFailed $e) {
            throw CanvasPublisher::logged($this->logger, $e->duringPublish([$plain->taskId], [], $plain->taskId));
        }
        $this->logger?->debug(OutgoingTask::PUBLISHED, ['task_id' => $plain->taskId, 'task' => $name, 'queue' => $plain->queue]);
        if ($this->hooks?->hasAfter()) {
            $this->hooks->announce(OutgoingTask::plain($plain->taskId, $name, $plain->queue, $plain->priority), $this->logger);
        }
        return $this->handles->sent($plain->taskId, $plain->queue);
    }

    /**
     * CeleryClient::send(): see CanvasPublisher.
     *
     * @param array<string, mixed> $options
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @throws CeleryBridgeException
     */
    public function send(Canvas $canvas, array $options = [], array $args = [], array $kwargs = []): AsyncResult|GroupResult
    {
        return $this->canvases()->send($canvas, $options, $args, $kwargs);
    }

    /**
     * CeleryClient::sendMany(): see CanvasPublisher.
     *
     * @param iterable<Canvas> $canvases
     * @param array<string, mixed> $options
     * @return list<AsyncResult|GroupResult>
     * @throws CeleryBridgeException
     */
    public function sendMany(iterable $canvases, array $options = []): array
    {
        return $this->canvases()->sendMany($canvases, $options);
    }

    /**
     * @param array<string, mixed> $kwargs
     */
    private function noteOptionLikeKwargs(string $name, array $kwargs): void
    {
        $keys = array_values(array_intersect(array_map('strval', array_keys($kwargs)), TaskOptions::NAMES));
        if ($keys !== []) {
            $this->logger?->debug(self::KWARGS_LIKE_OPTIONS, ['task' => $name, 'keys' => implode(', ', $keys)]);
        }
    }

    /**
     * The general path, made on first use: a script that only sends tasks without options
     * never loads it (nor the canvas planner and the message builder).
     */
    private function canvases(): CanvasPublisher
    {
        return $this->canvases ??= new CanvasPublisher(
            $this->transport,
            new ChunkBuilder(
                $this->config,
                $this->transport,
                $this->handles,
                $this->plain,
                $this->hooks(),
                $this->origin,
                $this->replyTo,
                $this->logger !== null,
            ),
            $this->hooks(),
            $this->logger,
            self::CHUNK,
        );
    }
}
