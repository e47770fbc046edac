<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Backend\RpcResultBackend;
use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\NotSupportedByBackend;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\TaskMessage;

/**
 * The AMQP transport of a client whose result backend is rpc://: before each publish, the
 * reply queue is declared (Celery's RPCBackend.on_task_call()), so that the results of the
 * tasks about to be sent have a queue to go to, even one RabbitMQ deleted since (auto-delete,
 * x-expires). A failure to declare is one before anything is published: retried under the
 * publish retry policy, then "not queued".
 *
 * @internal
 */
final class RpcReplyQueueTransport implements Transport
{
    private ?RetryPolicy $callPolicy = null;

    public function __construct(
        private readonly Transport $transport,
        private readonly RpcResultBackend $results,
    ) {
    }

    public function queue(PublishChunk $chunk, TaskMessage $message, Delivery $delivery): void
    {
        $this->transport->queue($chunk, $message, $delivery);
    }

    public function queuePlain(PublishChunk $chunk, PlainMessage $message): void
    {
        $this->transport->queuePlain($chunk, $message);
    }

    public function announce(PublishChunk $chunk, array $event, string $exchange, string $routingKey): void
    {
        $this->transport->announce($chunk, $event, $exchange, $routingKey);
    }

    public function publishPlain(PlainMessage $message): void
    {
        $this->declare();
        $this->transport->publishPlain($message);
    }

    public function publish(PublishChunk $chunk): void
    {
        if ($chunk->chordSizes !== []) {
            // ChunkBuilder refuses chords first; this is the last guard before a byte is written.
            throw NotSupportedByBackend::chords();
        }
        if ($chunk->publishes !== [] || $chunk->writes !== []) {
            $this->declare();
        }
        $this->transport->publish($chunk);
    }

    public function retryPolicy(): RetryPolicy
    {
        return $this->transport->retryPolicy();
    }

    public function using(RetryPolicy $policy, \Closure $publish): mixed
    {
        $this->callPolicy = $policy;
        try {
            return $this->transport->using($policy, $publish);
        } finally {
            $this->callPolicy = null;
        }
    }

    /**
     * @throws ConnectionFailed
     */
    private function declare(): void
    {
        ($this->callPolicy ?? $this->transport->retryPolicy())->retryUnpublished(
            fn () => $this->results->declareReplyQueue(),
        );
    }
}
