<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Broker\RedisBroker;
use CeleryBridge\Broker\RetryingPublisher;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\TaskMessage;
use CeleryBridge\Result\WorkerReach;
use CeleryBridge\Wire\Envelope;
use CeleryBridge\Wire\Uuid;
use Psr\Log\LoggerInterface;

use function array_push;
use function count;

/**
 * kombu's Redis transport: a message is an LPUSH onto its queue's priority list; a chunk, with
 * its task-sent events and (when the backend is the broker's database) its chord counters, is
 * one MULTI/EXEC.
 *
 * @internal
 */
final class RedisTransport implements Transport
{
    private ?RedisBroker $broker = null;
    /** The MULTI/EXEC path, made on first use (sendTask() without options never needs it). */
    private ?RedisChunkWriter $writer = null;

    public function __construct(
        private readonly RetryingPublisher $publisher,
        private readonly ClientConfig $config,
        private readonly ?RedisResultBackend $resultBackend,
        private readonly WorkerReach $reach,
    ) {
    }

    /**
     * A client's transport: its publishes retried under broker_connection_retry's policy,
     * each retry logged as a warning.
     */
    public static function forClient(
        RedisConnection $broker,
        ClientConfig $config,
        ?RedisResultBackend $resultBackend,
        WorkerReach $reach,
        ?LoggerInterface $logger,
    ): self {
        $options = $config->brokerConnectionOptions;
        $publisher = new RetryingPublisher($broker, $options->retryPolicy, null, $options->healthCheckInterval);
        if ($logger !== null) {
            $publisher->onRetry(static function (ConnectionFailed $e, int $attempt, float $delay) use ($logger): void {
                $logger->warning('CeleryBridge: publish attempt {attempt} failed, retrying in {delay} s: {error}', [
                    'attempt' => $attempt,
                    'delay' => $delay,
                    'error' => $e->getMessage(),
                ]);
            });
        }
        return new self($publisher, $config, $resultBackend, $reach);
    }

    public function queue(PublishChunk $chunk, TaskMessage $message, Delivery $delivery): void
    {
        $this->broker ??= new RedisBroker($this->publisher->connection(), $this->config->queueKeys());
        array_push($chunk->writes, ...$this->broker->writesFor($message->toEnvelope(), $delivery));
    }

    public function queuePlain(PublishChunk $chunk, PlainMessage $message): void
    {
        $chunk->writes[] = ['LPUSH', $message->list, $message->envelope];
    }

    public function announce(PublishChunk $chunk, array $event, string $exchange, string $routingKey): void
    {
        // Events are transient in kombu (delivery_mode 1), unlike task messages.
        $envelope = Envelope::ofJson($event, ['hostname' => $event['hostname']], $exchange, $routingKey, 1, Uuid::v4());
        $chunk->writes[] = ['PUBLISH', $this->reach->control()->fanoutChannel($exchange, $routingKey), $envelope];
    }

    public function publishPlain(PlainMessage $message): void
    {
        $this->publisher->lPush($message->list, $message->envelope);
    }

    public function retryPolicy(): RetryPolicy
    {
        return $this->publisher->policy;
    }

    public function using(RetryPolicy $policy, \Closure $publish): mixed
    {
        return $this->publisher->using($policy, $publish);
    }

    /**
     * One message alone with LPUSH, anything more in one MULTI/EXEC (see RedisChunkWriter).
     */
    public function publish(PublishChunk $chunk): void
    {
        if ($chunk->writes === []) {
            return;
        }
        if (count($chunk->writes) === 1 && $chunk->chordSizes === [] && !isset($chunk->writes[0][3])) {
            $this->publisher->lPush($chunk->writes[0][1], (string) $chunk->writes[0][2]);
            return;
        }
        $this->writer ??= new RedisChunkWriter($this->publisher, $this->resultBackend);
        $this->writer->write($chunk);
    }
}
