<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Exception\InvalidControlCommand;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Wire\Envelope;
use CeleryBridge\Wire\KombuJson;
use CeleryBridge\Wire\PlainText;

/**
 * A remote control command as kombu's pidbox Mailbox publishes it (celery.app.control's
 * broadcast with reply=False): a kombu envelope on the mailbox's fanout exchange whose JSON
 * body names the method, its arguments and the nodes it is for.
 *
 * @internal
 */
final class Broadcast
{
    /**
     * The inspect commands of Celery 5.7's `celery inspect` (celery/worker/control.py), with the
     * arguments app.control.inspect() sends by default; inspect() lays the caller's over them.
     */
    public const INSPECT = [
        'ping' => [],
        'stats' => [],
        'active' => ['safe' => null],
        'scheduled' => [],
        'reserved' => [],
        'revoked' => [],
        'registered' => ['taskinfoitems' => []],
        'active_queues' => [],
        'report' => [],
        'clock' => [],
        'conf' => ['with_defaults' => false],
        'query_task' => ['ids' => []],
        'memsample' => [],
        'memdump' => ['samples' => 10],
        'objgraph' => ['num' => 200, 'max_depth' => 10, 'type' => 'Request'],
    ];

    /**
     * @param array<string, mixed> $arguments
     * @param list<string>|null $destination node names (name@host); null = every worker
     * @param array{string, string, string}|null $reply the ticket, the reply exchange and routing key
     */
    private function __construct(
        public readonly string $method,
        public readonly array $arguments,
        public readonly ?array $destination,
        public readonly ?array $reply = null,
    ) {
    }

    /**
     * A command the workers answer (Celery's inspect): the body carries a ticket and the
     * exchange and routing key of the reply queue, and each worker LPUSHes its reply there.
     * A Mailbox sets them (replyTo()) when it has made the queue.
     *
     * @param list<string>|null $destination
     * @param array<string, mixed> $arguments laid over the ones Celery sends by default (INSPECT)
     * @throws InvalidControlCommand
     */
    public static function inspect(
        string $method,
        ?array $destination,
        string $ticket = '',
        string $replyExchange = '',
        string $replyRoutingKey = '',
        array $arguments = [],
    ): self {
        if (!array_key_exists($method, self::INSPECT)) {
            throw InvalidControlCommand::invalid('method', $method, 'expected one of ' . implode(', ', array_keys(self::INSPECT)) . '.');
        }
        $unknown = array_diff_key($arguments, self::INSPECT[$method]);
        if ($unknown !== []) {
            throw InvalidControlCommand::invalid((string) array_key_first($unknown), $unknown[array_key_first($unknown)], sprintf(
                'inspect %s takes %s.',
                $method,
                self::INSPECT[$method] === [] ? 'no arguments' : 'only ' . implode(', ', array_keys(self::INSPECT[$method])),
            ), 'Inspect');
        }
        return new self(
            $method,
            self::arguments($method, array_merge(self::INSPECT[$method], $arguments)),
            self::destination($destination),
            [$ticket, $replyExchange, $replyRoutingKey],
        );
    }

    /**
     * Any command, as Celery's app.control.broadcast() sends it: workers run the handler of
     * that name (a custom one registered with @control_command too) with these keyword
     * arguments. With $reply (ticket, reply exchange, routing key) each worker answers.
     *
     * @param array<string, mixed> $arguments
     * @param list<string>|null $destination
     * @param array{string, string, string}|null $reply
     * @throws InvalidControlCommand
     */
    public static function command(string $method, array $arguments, ?array $destination, ?array $reply = null): self
    {
        // The worker looks the name up among its handlers (Python identifiers).
        if (preg_match('/^[A-Za-z_][A-Za-z0-9_]*\z/', $method) !== 1) {
            throw InvalidControlCommand::invalid('method', $method, 'expected the name of a remote control command, '
                . 'such as "rate_limit" or "pool_grow".', 'Control');
        }
        return new self($method, self::arguments($method, $arguments), self::destination($destination), $reply);
    }

    /**
     * @param string|list<string> $taskIds
     * @param list<string>|null $destination
     * @throws InvalidControlCommand
     */
    public static function revoke(
        string|array $taskIds,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): self {
        return new self('revoke', [
            // A single id travels as a string and several as a list, as Celery sends them.
            'task_id' => is_string($taskIds) ? self::taskId($taskIds) : self::taskIds($taskIds),
            'terminate' => $terminate,
            'signal' => ControlArguments::signal($signal),
        ], self::destination($destination));
    }

    /**
     * Celery 5.3+'s revoke_by_stamped_headers: workers discard every task stamped with one of
     * these values (a value or a list of values per stamp name), now and later.
     *
     * @param array<string, string|list<string>> $headers stamp name => value(s)
     * @param list<string>|null $destination
     * @throws InvalidControlCommand
     */
    public static function revokeByStampedHeaders(
        array $headers,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): self {
        if ($headers === [] || array_is_list($headers)) {
            throw InvalidControlCommand::invalid('headers', $headers, 'expected an array of stamp name => value.');
        }
        foreach ($headers as $name => $value) {
            $values = is_array($value) && array_is_list($value) && $value !== [] ? $value : [$value];
            foreach ($values as $item) {
                // The worker compares the stamps of each task with these, as strings or lists of them.
                if (!is_string($item) || !mb_check_encoding($item, 'UTF-8') || !mb_check_encoding((string) $name, 'UTF-8')) {
                    throw InvalidControlCommand::invalid('headers', $headers, sprintf(
                        'the stamp "%s" needs a UTF-8 string or a list of them as its value.',
                        mb_check_encoding((string) $name, 'UTF-8') ? $name : bin2hex((string) $name),
                    ));
                }
            }
        }
        return new self('revoke_by_stamped_headers', [
            'headers' => (object) $headers,
            'terminate' => $terminate,
            'signal' => ControlArguments::signal($signal),
        ], self::destination($destination));
    }

    /**
     * The same command, answered on this reply queue: its ticket, exchange and routing key.
     */
    public function replyTo(string $ticket, string $exchange, string $routingKey): self
    {
        return new self($this->method, $this->arguments, $this->destination, [$ticket, $exchange, $routingKey]);
    }

    /**
     * The JSON body: method, arguments, destination, pattern, matcher.
     *
     * @return array<string, mixed>
     */
    public function body(): array
    {
        $body = [
            'method' => $this->method,
            'arguments' => (object) $this->arguments,
            'destination' => $this->destination,
            'pattern' => null,
            'matcher' => null,
        ];
        if ($this->reply !== null) {
            [$ticket, $exchange, $routingKey] = $this->reply;
            $body['ticket'] = $ticket;
            $body['reply_to'] = ['exchange' => $exchange, 'routing_key' => $routingKey];
        }
        return $body;
    }

    /**
     * The text PUBLISHed on the mailbox channel.
     *
     * @param string $exchange the mailbox exchange, "<control_exchange>.pidbox"
     * @param int $clock Lamport clock value (workers only use it to adjust their own)
     * @param float $expires unix time after which a reply would be ignored (Python: now + 1 s)
     */
    public function toEnvelope(string $exchange, int $clock, float $expires, string $deliveryTag): string
    {
        return Envelope::ofJson($this->body(), ['clock' => $clock, 'expires' => $expires], $exchange, '', 2, $deliveryTag);
    }

    /**
     * Keyword arguments as kombu JSON (names are Python identifiers, values plain data).
     *
     * @param array<array-key, mixed> $arguments
     * @return array<string, mixed>
     * @throws InvalidControlCommand
     */
    private static function arguments(string $method, array $arguments): array
    {
        foreach (array_keys($arguments) as $name) {
            if (!is_string($name) || preg_match('/^[A-Za-z_][A-Za-z0-9_]*\z/', $name) !== 1) {
                throw InvalidControlCommand::invalid('arguments', $arguments, sprintf(
                    'the workers call %s with keyword arguments: each name must be a Python identifier.',
                    $method,
                ), 'Control');
            }
        }
        try {
            $normalized = KombuJson::normalize($arguments, 'arguments');
        } catch (InvalidTaskArgument $e) {
            throw new InvalidControlCommand(sprintf('Control command %s: %s', $method, $e->getMessage()), 0, $e);
        }
        return $normalized instanceof \stdClass ? get_object_vars($normalized) : [];
    }

    private static function taskId(mixed $taskId): string
    {
        if (
            !is_string($taskId) || $taskId === '' || !mb_check_encoding($taskId, 'UTF-8')
            || PlainText::hasControl($taskId)
        ) {
            throw InvalidControlCommand::invalid('task_id', $taskId, 'expected a task id: a non-empty UTF-8 string '
                . 'without control characters.');
        }
        return $taskId;
    }

    /**
     * @param array<array-key, mixed> $taskIds
     * @return list<string>
     */
    private static function taskIds(array $taskIds): array
    {
        if ($taskIds === [] || !array_is_list($taskIds)) {
            throw InvalidControlCommand::invalid('task_id', $taskIds, 'expected a task id or a non-empty list.');
        }
        return array_map(self::taskId(...), $taskIds);
    }

    /** How messages name a command when the argument is the same for every command (destination). */
    private const ANY_COMMAND = 'Control command';

    /**
     * @param array<array-key, mixed>|null $destination
     * @return list<string>|null
     */
    private static function destination(?array $destination): ?array
    {
        if ($destination === null) {
            return null;
        }
        if ($destination === [] || !array_is_list($destination)) {
            throw InvalidControlCommand::invalid('destination', $destination, 'expected null (every worker) or a '
                . 'non-empty list of worker node names such as "celery@host".', self::ANY_COMMAND);
        }
        foreach ($destination as $node) {
            // A worker's node name always has the form name@host (Celery adds "celery@" to a bare host).
            $valid = is_string($node) && mb_check_encoding($node, 'UTF-8')
                && preg_match('/^[^@\x00-\x1f\x7f]+@[^\x00-\x1f\x7f]+$/D', $node) === 1;
            if (!$valid) {
                throw InvalidControlCommand::invalid('destination', $node, 'expected a worker node name of the form '
                    . '"name@host", as the worker prints it in its banner ("celery@host" by default).', self::ANY_COMMAND);
            }
        }
        return $destination;
    }
}
