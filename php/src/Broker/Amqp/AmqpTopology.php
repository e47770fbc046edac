<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Wire\Amqp\DelayedDelivery;

/**
 * The queues, exchanges and bindings as the workers of the same celeryconfig declare them on
 * RabbitMQ (celery/app/amqp.py Queues), and where Celery's send_task_message publishes:
 *
 * - task_queues (name => options, or a list of ['name' => ...]; options: exchange,
 *   exchange_type, routing_key, queue_arguments, durable, no_declare) define queues; without
 *   it there is one, task_default_queue, on task_default_exchange (named like the queue) of
 *   task_default_exchange_type (direct), bound with task_default_routing_key (the queue name),
 *   quorum when task_default_queue_type is 'quorum';
 * - any other queue is created as Celery creates a missing one: its own direct exchange of the
 *   same name, bound with its name, quorum when task_create_missing_queue_type is 'quorum';
 * - task_queue_max_priority adds x-max-priority to every queue that has none.
 *
 * A queue whose exchange is direct is published to through the default exchange ("" with the
 * queue name); any other through its exchange with its routing key. An explicit exchange and
 * routing key (options or task_routes) are published to as they are, without declaring.
 *
 * @internal
 */
final class AmqpTopology
{
    /** The settings read here (Celery's names). */
    public const KEYS = [
        'task_queues', 'task_default_exchange', 'task_default_exchange_type', 'task_default_routing_key',
        'task_default_queue_type', 'task_create_missing_queue_type', 'task_create_missing_queue_exchange_type',
        'task_create_missing_queues', 'task_queue_max_priority',
    ];

    /** @var array<string, AmqpQueue> */
    private array $missing = [];

    /**
     * @param array<string, AmqpQueue> $queues
     */
    private function __construct(
        private readonly array $queues,
        private readonly ?int $maxPriority,
        private readonly bool $createMissing,
        private readonly bool $missingQuorum,
        private readonly ?string $missingExchangeType,
        /** Whether any configured queue is quorum (Celery's detect_quorum_queues). */
        public readonly bool $hasQuorum,
    ) {
    }

    /**
     * @param array<string, mixed> $config Celery's setting names
     * @throws InvalidConfiguration
     */
    public static function fromConfig(array $config, string $defaultQueue): self
    {
        $maxPriority = $config['task_queue_max_priority'] ?? null;
        if ($maxPriority !== null && (!is_int($maxPriority) || $maxPriority < 1 || $maxPriority > 255)) {
            throw InvalidConfiguration::invalid('task_queue_max_priority', $maxPriority, 'expected an integer from 1 to 255, or null.');
        }
        $defaultType = self::queueType('task_default_queue_type', $config['task_default_queue_type'] ?? 'classic');
        $missingType = self::queueType('task_create_missing_queue_type', $config['task_create_missing_queue_type'] ?? 'classic');
        $exchangeType = self::exchangeType('task_default_exchange_type', $config['task_default_exchange_type'] ?? 'direct');
        $missingExchangeType = isset($config['task_create_missing_queue_exchange_type'])
            ? self::exchangeType('task_create_missing_queue_exchange_type', $config['task_create_missing_queue_exchange_type'])
            : null;
        $defaultExchange = self::name('task_default_exchange', $config['task_default_exchange'] ?? $defaultQueue);
        $defaultKey = self::name('task_default_routing_key', $config['task_default_routing_key'] ?? $defaultQueue);
        $definitions = $config['task_queues'] ?? [];
        if (!is_array($definitions)) {
            throw InvalidConfiguration::invalid('task_queues', $definitions, 'expected name => options, or a list of options with "name".');
        }
        $queues = [];
        foreach ($definitions as $key => $options) {
            $queue = self::definition($key, $options, $defaultExchange, $exchangeType, $defaultKey, $maxPriority);
            $queues[$queue->name] = $queue;
        }
        if ($queues === []) {
            $arguments = $defaultType === 'quorum' ? ['x-queue-type' => 'quorum'] : [];
            $queues[$defaultQueue] = new AmqpQueue(
                $defaultQueue,
                $defaultExchange,
                $exchangeType,
                $defaultKey,
                self::withMaxPriority($arguments, $maxPriority),
            );
        }
        $create = $config['task_create_missing_queues'] ?? true;
        if (!is_bool($create)) {
            throw InvalidConfiguration::invalid('task_create_missing_queues', $create, 'expected true or false.');
        }
        $hasQuorum = array_filter($queues, static fn (AmqpQueue $q): bool => $q->isQuorum()) !== [];
        return new self($queues, $maxPriority, $create, $missingType === 'quorum', $missingExchangeType, $hasQuorum);
    }

    /**
     * The queue a delivery goes to, as declared (a configured one, or one created as missing).
     *
     * @throws InvalidOption the queue is not configured and task_create_missing_queues is off
     */
    public function queue(string $name): AmqpQueue
    {
        if (isset($this->queues[$name])) {
            return $this->queues[$name];
        }
        if (!$this->createMissing) {
            throw InvalidOption::invalid('queue', $name, 'it is not in task_queues and task_create_missing_queues is off '
                . '(Celery raises QueueNotFound).');
        }
        return $this->missing[$name] ??= new AmqpQueue(
            $name,
            $name,
            $this->missingExchangeType ?? 'direct',
            $name,
            self::withMaxPriority($this->missingQuorum ? ['x-queue-type' => 'quorum'] : [], $this->maxPriority),
        );
    }

    /**
     * Where Celery publishes a message for $delivery: [exchange, routing key, queue to declare
     * first (null: none), exchange that must exist (native delayed delivery)].
     *
     * @param float|null $countdown seconds until the message's eta, when it has one
     * @return array{string, string, ?AmqpQueue, ?string}
     * @throws InvalidOption a priority on a quorum queue, or a delay native delayed delivery cannot carry
     */
    public function target(Delivery $delivery, ?float $countdown): array
    {
        if ($delivery->exchange !== '') {
            // Celery publishes to an explicit exchange without declaring anything.
            return [$delivery->exchange, $delivery->routingKey(), null, null];
        }
        $queue = $this->queue($delivery->queue);
        if ($queue->isQuorum() && $delivery->priority !== 0) {
            throw InvalidOption::invalid('priority', $delivery->priority, sprintf(
                'queue "%s" is a quorum queue, and RabbitMQ (3.x) ignores message priorities on quorum queues: the task '
                . 'would run in FIFO order. Leave the priority out (and task_default_priority), or route the task to a '
                . 'classic queue declared with x-max-priority (task_queue_max_priority).',
                $queue->name,
            ));
        }
        $declare = $queue->noDeclare ? null : $queue;
        if ($queue->exchangeType === 'direct') {
            return ['', $queue->name, $declare, null];
        }
        if ($countdown !== null && $countdown > 0 && $this->hasQuorum) {
            // Celery 5.5+ (celery/app/base.py send_task): the countdown in binary words before
            // the queue's routing key, to the workers' delay exchanges, nothing declared.
            $key = DelayedDelivery::routingKey($countdown, $queue->routingKey);
            return [DelayedDelivery::EXCHANGE, $key, null, DelayedDelivery::EXCHANGE];
        }
        return [$queue->exchange, $queue->routingKey, $declare, null];
    }

    /**
     * @param array<string, int|string|bool> $arguments
     * @return array<string, int|string|bool>
     */
    private static function withMaxPriority(array $arguments, ?int $maxPriority): array
    {
        if ($maxPriority !== null && !isset($arguments['x-max-priority'])) {
            $arguments['x-max-priority'] = $maxPriority;
        }
        return $arguments;
    }

    /**
     * @throws InvalidConfiguration
     */
    private static function definition(
        int|string $key,
        mixed $options,
        string $defaultExchange,
        string $exchangeType,
        string $defaultKey,
        ?int $maxPriority,
    ): AmqpQueue {
        $where = sprintf('task_queues[%s]', is_int($key) ? $key : "'$key'");
        if (!is_array($options)) {
            throw InvalidConfiguration::invalid($where, $options, 'expected an array of queue options (exchange, exchange_type, '
                . 'routing_key, queue_arguments, durable, no_declare).');
        }
        $known = ['name', 'exchange', 'exchange_type', 'routing_key', 'binding_key', 'queue_arguments', 'durable', 'no_declare'];
        foreach (array_keys($options) as $option) {
            if (!in_array($option, $known, true)) {
                throw InvalidConfiguration::unknown("$where.$option", array_map(static fn (string $k): string => "$where.$k", $known));
            }
        }
        $name = self::name("$where.name", $options['name'] ?? $key);
        $arguments = $options['queue_arguments'] ?? [];
        if (!is_array($arguments) || ($arguments !== [] && array_is_list($arguments))) {
            throw InvalidConfiguration::invalid("$where.queue_arguments", $arguments, 'expected an array of x-argument => value.');
        }
        foreach ($arguments as $argument => $value) {
            if (!is_int($value) && !is_string($value) && !is_bool($value)) {
                throw InvalidConfiguration::invalid("$where.queue_arguments.$argument", $value, 'expected an integer, a string or a bool '
                    . '(RabbitMQ compares the type too: x-max-priority must be an integer).');
            }
        }
        $durable = $options['durable'] ?? true;
        $noDeclare = $options['no_declare'] ?? false;
        if (!is_bool($durable) || !is_bool($noDeclare)) {
            throw InvalidConfiguration::invalid("$where.durable", $durable, 'durable and no_declare are true or false.');
        }
        return new AmqpQueue(
            $name,
            self::name("$where.exchange", $options['exchange'] ?? $defaultExchange),
            self::exchangeType("$where.exchange_type", $options['exchange_type'] ?? $exchangeType),
            self::name("$where.routing_key", $options['routing_key'] ?? $options['binding_key'] ?? $name),
            self::withMaxPriority($arguments, $maxPriority),
            $durable,
            $noDeclare,
        );
    }

    private static function name(string $setting, mixed $value): string
    {
        if (!is_string($value) || $value === '' || strlen($value) > 255 || preg_match('/[\x00-\x1f]/', $value) === 1) {
            throw InvalidConfiguration::invalid($setting, $value, 'expected a name of 1 to 255 bytes without control characters.');
        }
        return $value;
    }

    private static function queueType(string $setting, mixed $value): string
    {
        if ($value !== 'classic' && $value !== 'quorum') {
            throw InvalidConfiguration::invalid($setting, $value, "expected 'classic' or 'quorum'.");
        }
        return $value;
    }

    private static function exchangeType(string $setting, mixed $value): string
    {
        if (!in_array($value, ['direct', 'topic', 'fanout', 'headers'], true)) {
            throw InvalidConfiguration::invalid($setting, $value, "expected 'direct', 'topic', 'fanout' or 'headers'.");
        }
        return $value;
    }
}
