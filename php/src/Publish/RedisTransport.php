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
use CeleryBridge\Exception\Describe;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Result\ResultHandles;
use Psr\Log\LoggerInterface;

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
    /** Whether chord counters go in the broker's transaction (the backend is the same database). */
    private ?bool $counterInTransaction = null;
    /** @var array<string, true> queue lists LLEN answered for: a list, or no key yet */
    private array $listKeys = [];

    public function __construct(
        private readonly RetryingPublisher $publisher,
        private readonly ClientConfig $config,
        private readonly ?RedisResultBackend $resultBackend,
        private readonly ResultHandles $handles,
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
        ResultHandles $handles,
        ?LoggerInterface $logger,
    ): self {
        $settings = $config->brokerConnection;
        $publisher = new RetryingPublisher($broker, $settings->retryPolicy, null, $settings->healthCheckInterval);
        if ($logger !== null) {
            $publisher->onRetry(static function (ConnectionFailed $e, int $attempt, float $delay) use ($logger): void {
                $logger->warning('CeleryBridge: publish attempt {attempt} failed, retrying in {delay} s: {error}', [
                    'attempt' => $attempt,
                    'delay' => $delay,
                    'error' => $e->getMessage(),
                ]);
            });
        }
        return new self($publisher, $config, $resultBackend, $handles);
    }

    public function queue(PublishChunk $chunk, string $envelope, Delivery $delivery): void
    {
        $this->broker ??= new RedisBroker($this->publisher->connection(), $this->config->queueKeys);
        array_push($chunk->writes, ...$this->broker->writesFor($envelope, $delivery));
    }

    public function queuePlain(PublishChunk $chunk, PlainMessage $message): void
    {
        $chunk->writes[] = ['LPUSH', $message->list, $message->envelope];
    }

    public function announce(PublishChunk $chunk, string $event, string $exchange, string $routingKey): void
    {
        $chunk->writes[] = ['PUBLISH', $this->handles->control()->fanoutChannel($exchange, $routingKey), $event];
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
     * One message alone with LPUSH, anything more (with the chord counters, when the result
     * backend is the broker's database) in one MULTI/EXEC.
     */
    public function publish(PublishChunk $chunk): void
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

    private function chordCounterInTransaction(): bool
    {
        return $this->counterInTransaction ??= $this->resultBackend !== null
            && $this->resultBackend->sharesDatabaseWith($this->publisher->connection());
    }
}
