<?php

declare(strict_types=1);

namespace CeleryBridge\Testing;

use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\CanvasPlanner;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultHandles;
use CeleryBridge\Result\ResultStore;
use CeleryBridge\Wire\BodyEncoder;
use CeleryBridge\Wire\Uuid;

/**
 * CeleryClient's publish path up to the last byte, without the broker: the same planner,
 * routing, message builder, serializer and envelope, so everything the client refuses is
 * refused here with the same exception. Only what needs the broker is left out: the queues a
 * named exchange is bound to (a worker's binding set in Redis).
 *
 * @internal
 */
final class Rehearsal
{
    private readonly MessageBuilder $builder;
    private readonly CanvasPlanner $planner;
    private readonly ResultHandles $handles;

    public function __construct(
        private readonly ClientConfig $config,
        private readonly ResultStore $store,
        private readonly bool $hasBackend,
    ) {
        $replyTo = Uuid::v4();
        $this->builder = new MessageBuilder(
            origin: sprintf('gen%d@%s', getmypid(), gethostname()),
            replyTo: $replyTo,
            protocol: $config->protocol,
            encoder: new BodyEncoder($config->serializer, $config->compression),
        );
        $this->handles = new ResultHandles($this->store);
        $this->planner = new CanvasPlanner($replyTo, Uuid::v4(...), $this->handles);
    }

    /**
     * @param array<string, mixed> $options
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @return array{SentCanvas, array<array-key, GroupResult>, array<string, string>} the record, the
     *         groups a send stores (a chord header Celery saves) by id, and the name of every task
     *         the canvas runs by task id (those a worker sends later too)
     * @throws CeleryBridgeException
     */
    public function rehearse(Canvas $canvas, array $options = [], array $args = [], array $kwargs = []): array
    {
        $canvas = $canvas->withPartial($args, $kwargs);
        $canvas = $options === [] ? $canvas : $canvas->withOptions($options);
        $plan = $this->planner->plan($canvas);
        if ($plan->chordSizes !== [] && !$this->hasBackend) {
            throw InvalidCanvas::chordWithoutBackend();
        }
        $now = new \DateTimeImmutable('now', new \DateTimeZone('UTC'));
        $tasks = [];
        $names = [];
        foreach ($plan->tasks as $task) {
            $names[$task->taskId] = $task->signature->task;
            self::frozenNames($task->embed(), $names);
            if ($task->chain !== null && $this->config->protocol === 1) {
                throw InvalidCanvas::chainWithProtocolOne();
            }
            $signature = $task->signature;
            $delivery = $this->config->deliveryFor($signature->task, $signature->options);
            $message = $this->builder->build($signature, $task->taskId, $delivery, $now, Uuid::v4(), $task->embed());
            // The envelope is where the serializer and the compressor run.
            $message->toEnvelope();
            $tasks[] = new SentTask(
                $task->taskId,
                $signature->task,
                $signature->args,
                $signature->kwargs,
                $signature->options->toArray(),
                $delivery->queue,
                $delivery->exchange,
                $delivery->routingKey(),
                $delivery->priority,
                $message->headers,
            );
        }
        $one = count($plan->tasks) === 1 ? $plan->tasks[0]->signature : null;
        $result = $plan->result;
        if ($result instanceof AsyncResult && $one?->options->ignoreResult === true) {
            $result = $this->handles->sent($result->id, $tasks[0]->queue, true, $result->parent);
        }
        return [new SentCanvas($canvas, $tasks, $result), $plan->savedGroups, $names];
    }

    /**
     * The later steps travel as frozen signature dicts: {task, options: {task_id, ...}, ...}.
     *
     * @param array<string, string> $names
     */
    private static function frozenNames(mixed $node, array &$names): void
    {
        if (is_object($node)) {
            $node = get_object_vars($node);
        }
        if (!is_array($node)) {
            return;
        }
        $options = $node['options'] ?? null;
        $options = is_object($options) ? get_object_vars($options) : $options;
        if (is_string($node['task'] ?? null) && is_array($options) && is_string($options['task_id'] ?? null)) {
            $names[$options['task_id']] = $node['task'];
        }
        foreach ($node as $child) {
            self::frozenNames($child, $names);
        }
    }
}
