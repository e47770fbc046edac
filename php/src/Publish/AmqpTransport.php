<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Broker\Amqp\AmqpTopology;
use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Connection\Amqp\AmqpConnection;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\ChannelClosed;
use CeleryBridge\Connection\RetriesPerCall;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\PublishOutcomeUnknown;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Exception\TopologyMismatch;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\TaskMessage;
use CeleryBridge\Wire\Amqp\ExchangeMessage;
use Psr\Log\LoggerInterface;

/**
 * Celery's RabbitMQ transport: each task message is one basic.publish (AmqpPublishes builds
 * them); the queue, its exchange and binding declared with the workers' arguments
 * (AmqpTopology): for a lone publish only when RabbitMQ says they are missing
 * (AmqpDeclarer::goesFirst()), for a batch first, once per connection.
 *
 * Nothing is lost silently: every publish is mandatory (an unroutable message comes back:
 * RoutingFailed) and confirmed (Celery's confirm_publish, on by default here); a chunk's
 * publishes are written back to back and their confirms waited for once. The outcome, as for
 * Redis: a failure before the first publish (connect, declare) is retried under the publish
 * retry policy (on the next URL of a failover list) and means "not queued"; a connection lost
 * after a publish and before its confirm is PublishOutcomeUnknown with the chunk's task ids.
 * RabbitMQ and the result backend are separate servers: a chord's counter and saved groups
 * are stored in the backend first, then the messages are published.
 *
 * The template path (PlainPath, AmqpTaskTemplate: a task without options) hands over its message
 * with the properties encoded; it is routed, declared, published and confirmed as any other.
 *
 * @internal
 */
final class AmqpTransport implements Transport
{
    use RetriesPerCall;

    private readonly AmqpDeclarer $declarer;
    private readonly AmqpPublishes $publishes;

    public function __construct(
        private readonly AmqpConnection $connection,
        private readonly AmqpSettings $settings,
        private readonly AmqpTopology $topology,
        private readonly RetryPolicy $policy,
        private readonly ?RedisResultBackend $resultBackend,
        private readonly ?LoggerInterface $logger = null,
    ) {
        $this->declarer = new AmqpDeclarer($connection, $settings);
        $this->publishes = new AmqpPublishes($settings, $topology);
    }

    public function queue(PublishChunk $chunk, TaskMessage $message, Delivery $delivery): void
    {
        $chunk->publishes[] = $this->publishes->task($message, $delivery);
    }

    public function announce(PublishChunk $chunk, array $event, string $exchange, string $routingKey): void
    {
        $chunk->publishes[] = $this->publishes->event($event, $exchange, $routingKey);
    }

    public function queuePlain(PublishChunk $chunk, PlainMessage $message): void
    {
        $chunk->publishes[] = $this->publishes->plain($message);
    }

    public function publishPlain(PlainMessage $message): void
    {
        $chunk = new PublishChunk();
        $this->queuePlain($chunk, $message);
        $this->publish($chunk);
    }

    public function retryPolicy(): RetryPolicy
    {
        return $this->policy;
    }

    public function publish(PublishChunk $chunk): void
    {
        if ($chunk->publishes === []) {
            return;
        }
        $this->storeChordState($chunk);
        $tasks = array_values(array_filter($chunk->publishes, static fn (AmqpPublish $p): bool => $p->taskId !== null));
        $events = array_values(array_filter($chunk->publishes, static fn (AmqpPublish $p): bool => $p->taskId === null));
        $this->prepare($tasks);
        $this->send($tasks);
        if ($events !== []) {
            $this->sendEvents($events);
        }
    }

    /**
     * Connects and declares what the chunk's publishes need (nothing for a lone publish, see
     * AmqpDeclarer::goesFirst(); with $missing, what RabbitMQ just said is missing), retried under the
     * publish retry policy: nothing is published yet, so a failure here means "not queued".
     *
     * @param list<AmqpPublish> $publishes
     * @throws ConnectionFailed|TopologyMismatch|RoutingFailed
     */
    private function prepare(array $publishes, bool $missing = false): void
    {
        $declare = $missing || !$this->declarer->goesFirst($publishes);
        ($this->callPolicy ?? $this->policy)->retryUnpublished(
            function () use ($publishes, $declare, $missing): void {
                $this->connection->open();
                foreach ($declare ? $publishes : [] as $publish) {
                    $this->declarer->declare($publish, $missing);
                }
            },
            function (ConnectionFailed $e, int $attempt, float $delay): void {
                $this->logger?->warning(
                    'CeleryBridge: publish attempt {attempt} failed, retrying in {delay} s: {error}',
                    ['attempt' => $attempt, 'delay' => $delay, 'error' => $e->getMessage()],
                );
            },
        );
    }

    /**
     * Publishes the tasks back to back and waits for their confirms once. What RabbitMQ nacks
     * was not queued (a quorum queue electing its leader after a node died, a full queue with
     * reject-publish), so sending it again cannot make a duplicate: it is sent again under the
     * publish retry policy, on a new channel (the connection dropped the one that nacked). The
     * nacks name publishes by place, not task id: Celery lets a batch carry one id twice.
     *
     * @param list<AmqpPublish> $publishes
     * @throws PublishOutcomeUnknown|RoutingFailed|ConnectionFailed|TopologyMismatch
     */
    private function send(array $publishes): void
    {
        $refused = AmqpPublish::at($publishes, $this->confirmed($publishes, $this->declarer->declaresIfMissing($publishes)));
        $policy = $this->callPolicy ?? $this->policy;
        try {
            for ($retries = 0; $refused !== [] && $policy->allows($retries); $retries++) {
                $delay = $policy->delay($retries);
                $this->logger?->warning('CeleryBridge: RabbitMQ refused (nack) {count} messages, sending them again in {delay} s', [
                    'count' => count($refused),
                    'delay' => $delay,
                ]);
                if ($delay > 0) {
                    usleep((int) round($delay * 1_000_000));
                }
                $again = array_values($refused);
                $this->prepare($again);
                $refused = AmqpPublish::at($refused, $this->confirmed($again, $this->declarer->declaresIfMissing($again)));
            }
        } catch (ConnectionFailed $e) {
            // What RabbitMQ took before the failing retry stays queued: say so (never resend it).
            throw $e->withQueuedInSend(AmqpPublish::taskIds(array_diff_key($publishes, $refused)));
        }
        if ($refused !== []) {
            throw ConnectionFailed::atRabbitMq($this->connection->server(), sprintf(
                'the broker refused (nack) %d of %d messages: task ids %s; they were not queued.',
                count($refused),
                count($publishes),
                implode(', ', array_slice(AmqpPublish::taskIds($refused), 0, 5)),
            ))->withQueuedInSend(AmqpPublish::taskIds(array_diff_key($publishes, $refused)));
        }
    }

    /**
     * Writes the publishes, then waits for their confirms. With $declareIfMissing (a lone
     * publish that went out before its declares): a return or a 404 means nothing was routed,
     * so its queue, exchange and binding are declared and it is published once more.
     *
     * @param list<AmqpPublish> $publishes
     * @return list<int> the places in $publishes of those RabbitMQ nacked
     * @throws PublishOutcomeUnknown|RoutingFailed|ConnectionFailed|TopologyMismatch
     */
    private function confirmed(array $publishes, bool $declareIfMissing = false): array
    {
        try {
            foreach ($publishes as $publish) {
                $this->write($publish, true);
            }
            [$returned, $nacked] = $this->connection->waitForConfirms($this->settings->confirmTimeout);
        } catch (ChannelClosed $e) {
            $refused = $e->refused($this->connection->server(), sprintf('publish to exchange "%s"', $publishes[0]->message->exchange));
            if ($refused === null && $declareIfMissing && $e->replyCode === ChannelClosed::NOT_FOUND) {
                return $this->declaredAndConfirmed($publishes);
            }
            // "NOT_FOUND - no exchange 'media' in vhost '/'": the broker names it.
            $exchange = preg_match("/no exchange '([^']*)'/", $e->replyText, $m) === 1 ? $m[1] : $publishes[0]->message->exchange;
            throw $refused ?? ($exchange === $publishes[0]->requireExchange
                ? AmqpDeclarer::noDelayExchange($exchange, $e->replyText)
                : RoutingFailed::noExchange($exchange, $e->replyText));
        } catch (ConnectionFailed $e) {
            throw PublishOutcomeUnknown::forAmqp(count($publishes), $e);
        }
        if ($returned !== [] && $declareIfMissing) {
            return $this->declaredAndConfirmed($publishes);
        }
        if ($returned !== []) {
            $first = array_values(array_filter($publishes, static fn (AmqpPublish $p): bool => $p->taskId === $returned[0]))[0]
                ?? $publishes[0];
            $others = count($publishes) - count($returned);
            throw RoutingFailed::returned($returned, $first->message->exchange, $first->message->routingKey, $others);
        }
        if ($declareIfMissing) {
            $this->declarer->routed($publishes[0]);
        }
        return $nacked;
    }

    /**
     * RabbitMQ routed the lone publish nowhere: its queue, exchange and binding are declared
     * (or checked, passive) even if this connection declared them before, and it goes out once
     * more; a second return or 404 is RoutingFailed.
     *
     * @param list<AmqpPublish> $publishes
     * @return list<int> the places in $publishes of those RabbitMQ nacked
     */
    private function declaredAndConfirmed(array $publishes): array
    {
        $this->prepare($publishes, true);
        return $this->confirmed($publishes);
    }

    /**
     * Task-sent events go out once their tasks are confirmed; an event lost is not a task lost,
     * so a failure here is logged, never thrown.
     *
     * @param list<AmqpPublish> $events
     */
    private function sendEvents(array $events): void
    {
        try {
            foreach ($events as $event) {
                $this->declarer->declare($event);
                $this->write($event, false);
            }
            $this->connection->waitForConfirms($this->settings->confirmTimeout);
        } catch (ConnectionFailed | ChannelClosed | TopologyMismatch | RoutingFailed $e) {
            $this->logger?->warning('CeleryBridge: task-sent events were not published: {error}', ['error' => $e->getMessage()]);
        }
    }

    private function write(AmqpPublish $publish, bool $mandatory): void
    {
        $m = $publish->message;
        $message = new ExchangeMessage($m->exchange, $m->routingKey, $m->properties, $m->body);
        $this->connection->publish($message, $publish->properties, $mandatory);
    }

    /**
     * A chord's counter and saved groups live in the Redis result backend, another server:
     * stored before any of its messages can be published (a header task must find its counter).
     */
    private function storeChordState(PublishChunk $chunk): void
    {
        if ($chunk->savedGroups === [] && $chunk->chordSizes === []) {
            return;
        }
        \assert($this->resultBackend !== null);
        $state = $this->resultBackend->groupState();
        $writes = [];
        foreach ($chunk->savedGroups as $groupId => $header) {
            array_push($writes, ...$state->savedGroup((string) $groupId, $header->asTuple()));
        }
        foreach ($chunk->chordSizes as $groupId => $size) {
            array_push($writes, ...$state->chordSize((string) $groupId, $size));
        }
        $state->run($writes);
        $chunk->counterStored = true;
    }
}
