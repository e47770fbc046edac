<?php

declare(strict_types=1);

namespace CeleryBridge\Events;

use CeleryBridge\Broker\Amqp\Channel;
use CeleryBridge\Broker\AmqpChannelOpener;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\Failure;
use CeleryBridge\Connection\PubSubWaiter;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Wire\Envelope;
use CeleryBridge\Wire\KombuJsonDecoder;

/**
 * Celery's event stream as `celery events` reads it on Redis: the events exchange ("celeryev",
 * Celery's event_exchange) is a kombu fanout exchange, so each event is PUBLISHed on
 * "<global_keyprefix><fanout_prefix>celeryev/<type with - as .>" ("/0.celeryev/task.succeeded")
 * with fanout_patterns on (kombu's default), or on "<prefix>celeryev" with them off.
 *
 * The stream is subscribed when it is made (CeleryClient::events()), so an event published
 * after that call is never missed, even before the first read; iterating yields the events in
 * the order Redis delivered them, until the timeout or until the stop condition holds. Events
 * are not stored: one published before the subscription is gone.
 *
 * Workers send task events only when started with -E (worker_send_task_events, or the
 * enable_events control command); the client sends task-sent with task_send_sent_event.
 *
 * @implements \IteratorAggregate<int, Event>
 */
final class EventStream implements \IteratorAggregate
{
    /** The event types Celery 5.7 sends (celery/events/state.py), subscribed by default. */
    public const TYPES = [
        'task-sent', 'task-received', 'task-started', 'task-succeeded', 'task-failed', 'task-retried',
        'task-revoked', 'task-rejected', 'worker-online', 'worker-heartbeat', 'worker-offline',
    ];

    /** The routing key of a worker's buffered task events, sent as one list. */
    private const MULTI = 'task.multi';

    /** Redis: the subscription; RabbitMQ: this stream's queue. */
    private PubSubWaiter|AmqpEventQueue|null $waiter;

    /** The clock's time at which iteration ends; null: never. */
    private readonly ?float $deadline;

    /**
     * CeleryClient::events() on RabbitMQ: a queue of this stream's own, bound to the celeryev
     * topic exchange with these types' routing keys, on a connection of its own.
     *
     * @internal
     * @param (\Closure(Event): bool)|null $until
     * @param list<string>|null $types
     * @throws ConnectionFailed|InvalidOption
     */
    public static function overAmqp(
        AmqpChannelOpener $amqp,
        ?float $timeout,
        ?\Closure $until,
        ?array $types,
        string $exchange,
    ): self {
        self::checkTimeout($timeout);
        return new self($amqp->open(), self::routingKeys($types ?? self::TYPES), $timeout, $until, $types, exchange: $exchange);
    }

    /**
     * CeleryClient::events() on Redis: subscribed to the fanout channels of these types.
     *
     * @internal
     * @param (\Closure(Event): bool)|null $until
     * @param list<string>|null $types
     * @throws ConnectionFailed|InvalidOption
     */
    public static function overRedis(
        RedisConnection $broker,
        WorkerControl $control,
        ClientConfig $config,
        ?float $timeout,
        ?\Closure $until,
        ?array $types,
    ): self {
        self::checkTimeout($timeout);
        $channels = self::channels(
            $types ?? self::TYPES,
            $control->fanoutChannel(...),
            $config->eventExchange,
            $config->fanoutPatterns,
        );
        // task.multi carries every buffered task event: $types keeps only the types asked for.
        return new self($broker->endpoint(), $channels, $timeout, $until, $types);
    }

    /**
     * @throws InvalidOption
     */
    private static function checkTimeout(?float $timeout): void
    {
        if ($timeout !== null && (!is_finite($timeout) || $timeout <= 0)) {
            throw InvalidOption::invalid('timeout', $timeout, 'expected a positive number of seconds, or null for no limit.');
        }
    }

    /**
     * @internal made by CeleryClient::events()
     * @param list<string> $channels the exact channels (kombu's routing keys of these types)
     * @param (\Closure(Event): bool)|null $until stops after the first event for which it is true
     * @param list<string>|null $types only these types (null: every event on the channels)
     * @param Clock|null $clock what the timeout runs on (the system clock)
     * @param string $exchange RabbitMQ: the topic exchange Celery's events go to (event_exchange)
     * @throws ConnectionFailed
     */
    public function __construct(
        Endpoint|Channel $endpoint,
        array $channels,
        ?float $timeout,
        private readonly ?\Closure $until,
        private readonly ?array $types = null,
        ?Clock $clock = null,
        string $exchange = 'celeryev',
    ) {
        $clock ??= Clock::system();
        $started = $clock->seconds();
        if ($endpoint instanceof Channel) {
            // On RabbitMQ the "channels" are the routing keys this stream's queue is bound with
            // (its waits run on the system clock: the AMQP libraries wait on it).
            $this->waiter = new AmqpEventQueue($endpoint, $exchange, $channels);
        } else {
            // Subscribing is bounded by the connection's own timeouts, not the stream's: a short
            // stream still subscribes before it returns.
            $limit = $started + $endpoint->connectTimeout + $endpoint->readTimeout;
            $this->waiter = PubSubWaiter::subscribe($endpoint, $channels, $limit, $clock);
            if ($this->waiter === null) {
                $took = $clock->seconds() - $started;
                throw Failure::afterSending($endpoint, 'SUBSCRIBE', 'timed out subscribing to the event channels', $took, true);
            }
        }
        $this->deadline = $timeout === null ? null : $started + $timeout;
    }

    /**
     * The routing keys of these event types, to bind an AMQP queue to the topic exchange with
     * (what channels() names as Redis channels).
     *
     * @internal
     * @param list<string> $types
     * @return list<string>
     * @throws InvalidOption
     */
    public static function routingKeys(array $types): array
    {
        return self::channels($types, static fn (string $exchange, ?string $key): string => (string) $key, '', true);
    }

    /**
     * The channels of these event types on a kombu fanout exchange.
     *
     * @internal
     * @param list<string> $types
     * @param \Closure(string, ?string): string $channel WorkerControl::fanoutChannel()
     * @return list<string>
     * @throws InvalidOption
     */
    public static function channels(array $types, \Closure $channel, string $exchange, bool $patterns): array
    {
        if (!$patterns) {
            return [$channel($exchange, null)];
        }
        $channels = [];
        foreach ($types as $type) {
            if (!is_string($type) || preg_match('/^[a-z0-9][a-z0-9_.-]*\z/i', $type) !== 1) {
                throw InvalidOption::invalid('types', $type, 'expected event type names such as "task-succeeded".');
            }
            // Celery's EventDispatcher publishes with routing key = type, "-" replaced by ".".
            $channels[] = $channel($exchange, str_replace('-', '.', $type));
            if (str_starts_with($type, 'task-')) {
                // A worker on an event loop (prefork, solo) buffers its task events and
                // publishes them together as a list, with routing key "task.multi".
                $channels[] = $channel($exchange, self::MULTI);
            }
        }
        return array_values(array_unique($channels));
    }

    /**
     * @return \Generator<int, Event>
     * @throws ConnectionFailed
     */
    public function getIterator(): \Generator
    {
        try {
            while ($this->waiter !== null) {
                $message = $this->waiter->next($this->deadline);
                if ($message === null) {
                    return;
                }
                $events = is_string($message) ? self::decodeBody($message) : self::decode($message[1]);
                foreach ($events as $event) {
                    if ($this->types !== null && !in_array($event->type(), $this->types, true)) {
                        continue;
                    }
                    yield $event;
                    if ($this->until !== null && ($this->until)($event) === true) {
                        return;
                    }
                }
            }
        } finally {
            $this->close();
        }
    }

    /** Unsubscribes; iterating afterwards yields nothing. */
    public function close(): void
    {
        $this->waiter?->close();
        $this->waiter = null;
    }

    /**
     * The events of an envelope as Celery's EventDispatcher publishes it (a kombu message whose
     * JSON body is one event, or a list of them for "task.multi"); nothing for anything else.
     *
     * @internal
     * @return list<Event>
     */
    public static function decode(string $envelope): array
    {
        [, $body] = Envelope::decodeJson($envelope) ?? [[], null];
        return self::events($body);
    }

    /**
     * The events of a raw JSON body (an AMQP message: no envelope, no base64).
     *
     * @internal
     * @return list<Event>
     */
    public static function decodeBody(string $json): array
    {
        try {
            return self::events(KombuJsonDecoder::decode($json));
        } catch (\UnexpectedValueException) {
            return [];
        }
    }

    /**
     * @return list<Event>
     */
    private static function events(mixed $body): array
    {
        if (!is_array($body)) {
            return [];
        }
        $events = [];
        foreach (array_is_list($body) ? $body : [$body] as $fields) {
            if (is_array($fields) && is_string($fields['type'] ?? null)) {
                $events[] = self::event($fields['type'], $fields);
            }
        }
        return $events;
    }

    /**
     * @param array<array-key, mixed> $fields
     */
    private static function event(string $type, array $fields): Event
    {
        return match (true) {
            in_array($type, self::TYPES, true) && str_starts_with($type, 'task-') => TaskEvent::fromFields($type, $fields),
            in_array($type, self::TYPES, true) => WorkerEvent::fromFields($type, $fields),
            default => new OtherEvent($type, EventFields::string($fields, 'hostname') ?? '', EventFields::time($fields), $fields),
        };
    }
}
