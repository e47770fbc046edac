<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Broker\Amqp\AmqpQueue;
use CeleryBridge\Broker\Amqp\AmqpTopology;
use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Connection\Amqp\AmqpConnection;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\ChannelClosed;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\PublishOutcomeUnknown;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Exception\TopologyMismatch;
use CeleryBridge\Message\AmqpTaskMessage;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\TaskMessage;
use CeleryBridge\Wire\Amqp\BasicProperties;
use CeleryBridge\Wire\Amqp\BasicPublish;
use CeleryBridge\Wire\Amqp\ExchangeMessage;
use CeleryBridge\Wire\KombuJson;
use Psr\Log\LoggerInterface;

/**
 * Celery's RabbitMQ transport: each task message is one basic.publish, to the default exchange
 * with the queue name (or the queue's own exchange and routing key), the body raw and the
 * content header as py-amqp writes it; the queue, its exchange and binding declared with the
 * workers' arguments (AmqpTopology): for a lone publish only when RabbitMQ says they are
 * missing (goesFirst()), for a batch first, once per connection.
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
    private readonly AmqpDeclarer $declarer;
    private ?RetryPolicy $callPolicy = null;
    /** @var array<string, array{string, string, ?AmqpQueue, ?string}> the template path's targets, by queue and priority */
    private array $plainTargets = [];

    public function __construct(
        private readonly AmqpConnection $connection,
        private readonly AmqpSettings $settings,
        private readonly AmqpTopology $topology,
        private readonly RetryPolicy $policy,
        private readonly ?RedisResultBackend $resultBackend,
        private readonly ?LoggerInterface $logger = null,
    ) {
        $this->declarer = new AmqpDeclarer($connection, $settings->passive);
    }

    public function queue(PublishChunk $chunk, TaskMessage $message, Delivery $delivery): void
    {
        [$exchange, $routingKey, $declare, $require] = $this->topology->target($delivery, $message->secondsToEta());
        if ($this->settings->deliveryMode !== 2) {
            // task_default_delivery_mode 'transient' (on Redis the mode changes nothing).
            $message = new TaskMessage(
                $message->taskId,
                $message->headers,
                ['delivery_mode' => $this->settings->deliveryMode] + $message->properties,
                $message->body,
                $message->contentType,
                $message->contentEncoding,
            );
        }
        $amqp = AmqpTaskMessage::fromTaskMessage($message);
        $amqp = new AmqpTaskMessage($exchange, $routingKey, $amqp->properties, $amqp->body);
        // Encoded now: a value AMQP cannot carry (a too long routing key, an out of range
        // integer) fails before anything of the chunk is written.
        BasicPublish::encode($exchange, $routingKey, true);
        $chunk->publishes[] = new AmqpPublish($amqp, $amqp->properties->encode(), $message->taskId, $declare, $require);
    }

    public function announce(PublishChunk $chunk, array $event, string $exchange, string $routingKey): void
    {
        // celeryev is a topic exchange on RabbitMQ; events are transient (delivery_mode 1).
        $properties = new BasicProperties(
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            headers: ['hostname' => $event['hostname']],
            deliveryMode: 1,
            priority: 0,
        );
        $message = new AmqpTaskMessage($exchange, $routingKey, $properties, KombuJson::encode($event));
        $declare = new AmqpQueue('', $exchange, 'topic', $routingKey);
        $chunk->publishes[] = new AmqpPublish($message, $properties->encode(), null, $declare);
    }

    public function queuePlain(PublishChunk $chunk, PlainMessage $message): void
    {
        $amqp = $message->amqp ?? throw new \LogicException('A Redis envelope reached the AMQP transport.');
        // The topology is fixed: where a queue and priority go is looked up once (bounded, as
        // PlainPath's routes; a target that throws is never kept).
        $key = $message->priority . ':' . $message->queue;
        if (!isset($this->plainTargets[$key])) {
            $target = $this->topology->target(new Delivery($message->queue, $message->priority), null);
            if (strlen($target[0]) > 255 || strlen($target[1]) > 255) {
                BasicPublish::encode($target[0], $target[1], true);
            }
            $this->plainTargets = count($this->plainTargets) < 1000 ? $this->plainTargets : [];
            $this->plainTargets[$key] = $target;
        }
        [$exchange, $routingKey, $declare, $require] = $this->plainTargets[$key];
        $routed = $amqp->to($exchange, $routingKey);
        $chunk->publishes[] = new AmqpPublish($routed, $amqp->encodedProperties(), $message->taskId, $declare, $require);
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

    public function using(RetryPolicy $policy, \Closure $publish): mixed
    {
        $this->callPolicy = $policy;
        try {
            return $publish();
        } finally {
            $this->callPolicy = null;
        }
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
     * Whether these publishes go out before anything is declared, and declare only when
     * RabbitMQ says their route is missing. Celery (kombu's maybe_declare) declares the
     * exchange, the queue and the binding before the first publish of each connection: three
     * round trips that a PHP-FPM request, a new connection each time, would pay on every request
     * although the workers declared all of it long ago. A lone publish needs none of them:
     *
     * - it is mandatory and confirmed: RabbitMQ sends basic.return before the basic.ack of a
     *   message no queue took (a missing queue), and closes the channel with 404 for a missing
     *   exchange (then nothing after the publish on that channel is taken). Either way nothing was
     *   routed, so declaring then and publishing again once can neither lose nor duplicate it;
     *   a second return is RoutingFailed, as before;
     * - an existing queue whose arguments differ from this client's (x-max-priority, x-queue-type)
     *   takes the message, as RabbitMQ routes it: the queue the workers declared and consume is the
     *   truth, and the 406 of a declare (TopologyMismatch) comes only when something is declared
     *   (a missing queue, a batch, amqp_declare => 'always', which does as Celery does);
     * - amqp_declare => 'passive' checks only after a return: still nothing created;
     * - on a topic or fanout exchange a message routed is routed to some queue, maybe not this
     *   one when it was deleted and another is bound with a matching key: it goes where the
     *   broker's bindings send it, as any publisher's would;
     * - native delayed delivery's celery_delayed_27 is the workers': a 404 there is RoutingFailed
     *   (nothing routed), never declared.
     *
     * Not for a batch (sendMany, a group): a 404 there closes the channel under the publishes
     * after it, and a failed declare after a partial return would leave part of the batch queued
     * under an exception that cannot name it; a batch declares first, once per connection, and
     * skips what this connection declared or routed a lone publish to. Not without confirms
     * (confirm_publish off): no return or 404 would be waited for.
     *
     * @param list<AmqpPublish> $publishes
     */
    private function goesFirst(array $publishes): bool
    {
        return count($publishes) === 1 && $this->settings->confirm && !$this->settings->declareFirst;
    }

    /**
     * Connects and declares what the chunk's publishes need (nothing for a lone publish, see
     * goesFirst(); with $missing, what RabbitMQ just said is missing), retried under the
     * publish retry policy: nothing is published yet, so a failure here means "not queued".
     *
     * @param list<AmqpPublish> $publishes
     * @throws ConnectionFailed|TopologyMismatch|RoutingFailed
     */
    private function prepare(array $publishes, bool $missing = false): void
    {
        $declare = $missing || !$this->goesFirst($publishes);
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
     * publish retry policy, on a new channel (the connection dropped the one that nacked).
     *
     * @param list<AmqpPublish> $publishes
     * @throws PublishOutcomeUnknown|RoutingFailed|ConnectionFailed|TopologyMismatch
     */
    private function send(array $publishes): void
    {
        $ids = array_map(static fn (AmqpPublish $p): string => (string) $p->taskId, $publishes);
        $nacked = $this->confirmed($publishes, $this->declaresIfMissing($publishes));
        $policy = $this->callPolicy ?? $this->policy;
        try {
            for ($retries = 0; $nacked !== [] && $policy->allows($retries); $retries++) {
                $delay = $policy->delay($retries);
                $this->logger?->warning('CeleryBridge: RabbitMQ refused (nack) {count} messages, sending them again in {delay} s', [
                    'count' => count($nacked),
                    'delay' => $delay,
                ]);
                if ($delay > 0) {
                    usleep((int) round($delay * 1_000_000));
                }
                $again = array_values(array_filter($publishes, static fn (AmqpPublish $p): bool => in_array($p->taskId, $nacked, true)));
                $this->prepare($again);
                $nacked = $this->confirmed($again, $this->declaresIfMissing($again));
            }
        } catch (ConnectionFailed $e) {
            // What RabbitMQ took before the failing retry stays queued: say so (never resend it).
            throw $e->withQueuedInSend(array_values(array_diff($ids, $nacked)));
        }
        if ($nacked !== []) {
            throw ConnectionFailed::atRabbitMq($this->connection->server(), sprintf(
                'the broker refused (nack) %d of %d messages: task ids %s; they were not queued.',
                count($nacked),
                count($ids),
                implode(', ', array_slice($nacked, 0, 5)),
            ))->withQueuedInSend(array_values(array_diff($ids, $nacked)));
        }
    }

    /**
     * Whether a publish that went out first has a queue to declare when RabbitMQ says its route
     * is missing (native delayed delivery's exchange alone is only ever the workers').
     *
     * @param list<AmqpPublish> $publishes
     */
    private function declaresIfMissing(array $publishes): bool
    {
        return $this->goesFirst($publishes) && $publishes[0]->declare !== null;
    }

    /**
     * Writes the publishes, then waits for their confirms. With $declareIfMissing (a lone
     * publish that went out before its declares): a return or a 404 means nothing was routed,
     * so its queue, exchange and binding are declared and it is published once more.
     *
     * @param list<AmqpPublish> $publishes
     * @return list<string> the task ids RabbitMQ nacked
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
     * @return list<string> the task ids RabbitMQ nacked
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
