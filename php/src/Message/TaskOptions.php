<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Wire\BodyEncoder;
use CeleryBridge\Wire\Compression;
use CeleryBridge\Wire\KombuJson;
use CeleryBridge\Wire\PlainText;
use CeleryBridge\Wire\PythonTime;

/**
 * Validated apply_async options, under Celery's own names.
 *
 * Everything a worker could choke on is refused here, before a message exists.
 */
final class TaskOptions
{
    public const NAMES = [
        'countdown', 'eta', 'expires', 'priority', 'queue', 'routing_key', 'exchange', 'retries',
        'time_limit', 'soft_time_limit', 'task_id', 'shadow', 'ignore_result', 'headers', 'link',
        'link_error', 'serializer', 'compression', 'root_id', 'parent_id', 'group_id', 'group_index',
        'argsrepr', 'kwargsrepr', 'reply_to', 'stamps', 'retry', 'retry_policy', ...self::PROPERTIES,
    ];

    /**
     * AMQP message properties: Celery's send_task() hands the options it does not know to kombu,
     * whose publish() writes them into the message's properties as given. Workers do not read
     * them; brokers and tools that inspect messages do (e.g. app_id names the sending app).
     */
    public const PROPERTIES = ['app_id', 'user_id', 'message_id', 'type', 'cluster_id', 'timestamp'];

    /**
     * Header names of protocol 2. Custom headers are merged into the same object by Celery,
     * so a custom "id" or "eta" would silently replace the real one.
     */
    public const RESERVED_HEADERS = [
        'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries', 'timelimit',
        'root_id', 'parent_id', 'argsrepr', 'kwargsrepr', 'origin', 'ignore_result', 'replaced_task_nesting',
        'stamped_headers', 'stamps', 'compression', 'redelivered',
    ];

    public const SERIALIZERS = BodyEncoder::SERIALIZERS;
    public const COMPRESSIONS = Compression::NAMES;

    /**
     * @param array<string, mixed> $given the validated options, as passed (for toArray())
     * @param \stdClass $headers custom headers, normalized
     * @param list<Embeddable> $link
     * @param list<Embeddable> $linkError
     * @param array<string, string|int> $properties the AMQP properties given, in PROPERTIES order
     * @param array<string, mixed> $stamps stamp name => kombu JSON value
     */
    private function __construct(
        private readonly array $given,
        public readonly int|float|null $countdown = null,
        public readonly ?\DateTimeImmutable $eta = null,
        public readonly int|float|\DateTimeImmutable|null $expires = null,
        public readonly ?int $priority = null,
        public readonly ?string $queue = null,
        public readonly ?string $routingKey = null,
        public readonly ?string $exchange = null,
        public readonly int $retries = 0,
        public readonly int|float|null $timeLimit = null,
        public readonly int|float|null $softTimeLimit = null,
        public readonly ?string $taskId = null,
        public readonly ?string $shadow = null,
        public readonly ?bool $ignoreResult = null,
        public readonly \stdClass $headers = new \stdClass(),
        public readonly array $link = [],
        public readonly array $linkError = [],
        public readonly ?string $serializer = null,
        public readonly ?string $compression = null,
        public readonly ?string $rootId = null,
        public readonly ?string $parentId = null,
        public readonly ?string $groupId = null,
        public readonly ?int $groupIndex = null,
        public readonly ?string $argsrepr = null,
        public readonly ?string $kwargsrepr = null,
        public readonly ?string $replyTo = null,
        public readonly array $properties = [],
        public readonly array $stamps = [],
        /** apply_async(retry=...): this publish retried or not, whatever task_publish_retry says */
        public readonly ?bool $retry = null,
        /** @var array<string, int|float|null> apply_async(retry_policy=...), laid over task_publish_retry_policy */
        public readonly array $retryPolicy = [],
    ) {
    }

    /**
     * @param array<string, mixed> $options
     * @throws InvalidOption
     */
    public static function fromArray(array $options): self
    {
        foreach ($options as $name => $_) {
            if (!in_array($name, self::NAMES, true)) {
                throw InvalidOption::unknown((string) $name, self::NAMES);
            }
        }
        $options = array_filter($options, static fn ($value) => $value !== null);
        if (isset($options['countdown'], $options['eta'])) {
            throw InvalidOption::invalid('countdown', $options['countdown'], 'countdown and eta cannot both be given: '
                . 'countdown is only a shortcut for eta = now + countdown.');
        }
        return new self(
            $options,
            countdown: isset($options['countdown']) ? self::seconds('countdown', $options['countdown'], allowNegative: true) : null,
            eta: isset($options['eta']) ? self::time('eta', $options['eta']) : null,
            expires: isset($options['expires']) ? self::expires($options['expires']) : null,
            priority: isset($options['priority']) ? self::priority($options['priority']) : null,
            queue: isset($options['queue']) ? self::queueName('queue', $options['queue']) : null,
            routingKey: isset($options['routing_key']) ? self::queueName('routing_key', $options['routing_key']) : null,
            exchange: isset($options['exchange']) ? self::text('exchange', $options['exchange'], allowEmpty: true) : null,
            retries: isset($options['retries']) ? self::count('retries', $options['retries']) : 0,
            timeLimit: isset($options['time_limit']) ? self::seconds('time_limit', $options['time_limit']) : null,
            softTimeLimit: isset($options['soft_time_limit']) ? self::seconds('soft_time_limit', $options['soft_time_limit']) : null,
            taskId: isset($options['task_id']) ? self::text('task_id', $options['task_id']) : null,
            shadow: isset($options['shadow']) ? self::text('shadow', $options['shadow']) : null,
            ignoreResult: isset($options['ignore_result']) ? self::flag('ignore_result', $options['ignore_result']) : null,
            headers: isset($options['headers']) ? self::headers($options['headers']) : new \stdClass(),
            link: isset($options['link']) ? self::signatures('link', $options['link']) : [],
            linkError: isset($options['link_error']) ? self::signatures('link_error', $options['link_error']) : [],
            serializer: isset($options['serializer']) ? self::choice('serializer', $options['serializer'], self::SERIALIZERS) : null,
            compression: isset($options['compression']) ? self::choice('compression', $options['compression'], self::COMPRESSIONS) : null,
            rootId: isset($options['root_id']) ? self::text('root_id', $options['root_id']) : null,
            parentId: isset($options['parent_id']) ? self::text('parent_id', $options['parent_id']) : null,
            groupId: isset($options['group_id']) ? self::text('group_id', $options['group_id']) : null,
            groupIndex: isset($options['group_index']) ? self::count('group_index', $options['group_index']) : null,
            // What logs, events and Flower show instead of the arguments (Celery 5's options of
            // the same names), e.g. to keep secrets passed as arguments out of them.
            argsrepr: isset($options['argsrepr']) ? self::text('argsrepr', $options['argsrepr'], allowEmpty: true) : null,
            kwargsrepr: isset($options['kwargsrepr']) ? self::text('kwargsrepr', $options['kwargsrepr'], allowEmpty: true) : null,
            // The task's request.reply_to (and the message's reply_to property) instead of the
            // client's oid, as send_task(reply_to=...) does.
            replyTo: isset($options['reply_to']) ? self::text('reply_to', $options['reply_to']) : null,
            properties: self::properties($options),
            stamps: isset($options['stamps']) ? self::stamps($options['stamps']) : [],
            // Publish settings of this call, as Celery's apply_async takes them; not written into
            // the message (a worker publishing an embedded callback reads them from its options).
            retry: isset($options['retry']) ? self::flag('retry', $options['retry']) : null,
            retryPolicy: isset($options['retry_policy']) ? self::retryPolicy($options['retry_policy']) : [],
        );
    }

    /**
     * These options with others laid over them (later values win, as in Celery's option merging).
     *
     * @param array<string, mixed> $overrides
     */
    public function with(array $overrides): self
    {
        if ($overrides === []) {
            return $this;
        }
        if (isset($overrides['stamps'], $this->given['stamps']) && is_array($overrides['stamps'])) {
            // Stamping again adds to the stamps a task has; a new value replaces an old one.
            $overrides['stamps'] = array_merge($this->stamps, $overrides['stamps']);
        }
        return self::fromArray(array_merge($this->given, $overrides));
    }

    /**
     * The options as given (validated), under Celery's names.
     *
     * @return array<string, mixed>
     */
    public function toArray(): array
    {
        return $this->given;
    }

    public function has(string $name): bool
    {
        return array_key_exists($name, $this->given);
    }

    /**
     * @return array<string, int|float|null>
     */
    private static function retryPolicy(mixed $value): array
    {
        if (!is_array($value)) {
            throw InvalidOption::invalid('retry_policy', $value, 'expected an array with ' . implode(', ', RetryPolicy::KEYS) . '.');
        }
        foreach ($value as $key => $item) {
            $name = sprintf('retry_policy[%s]', $key);
            if (!in_array($key, RetryPolicy::KEYS, true)) {
                throw InvalidOption::invalid($name, $item, $key === 'retry_errors' || $key === 'errback'
                    ? 'this one takes Python objects; CeleryBridge retries connection failures only.'
                    : 'unknown key; known: ' . implode(', ', RetryPolicy::KEYS) . '.');
            }
            $ok = $key === 'max_retries'
                ? $item === null || (is_int($item) && $item >= 0)
                : (is_int($item) || is_float($item)) && is_finite((float) $item) && $item >= 0;
            if (!$ok) {
                throw InvalidOption::invalid($name, $item, $key === 'max_retries'
                    ? 'expected an integer >= 0, or null to retry forever (as Celery).'
                    : 'expected a number of seconds >= 0.');
            }
        }
        return $value;
    }

    private static function seconds(string $name, mixed $value, bool $allowNegative = false): int|float
    {
        if ((!is_int($value) && !is_float($value)) || !is_finite((float) $value) || (!$allowNegative && $value <= 0)) {
            throw InvalidOption::invalid($name, $value, $allowNegative
                ? 'expected a number of seconds.'
                : 'expected a positive number of seconds.');
        }
        return $value;
    }

    private static function time(string $name, mixed $value): \DateTimeImmutable
    {
        if ($value instanceof \DateTimeInterface) {
            return \DateTimeImmutable::createFromInterface($value);
        }
        if (is_string($value)) {
            $time = PythonTime::isoparse($value);
            if ($time !== null) {
                return $time;
            }
        }
        throw InvalidOption::invalid($name, $value, 'expected a DateTimeInterface or an ISO-8601 string '
            . 'such as "2026-11-24T10:00:00+00:00" (the form Celery workers parse).');
    }

    private static function expires(mixed $value): int|float|\DateTimeImmutable
    {
        if (is_int($value) || is_float($value)) {
            return self::seconds('expires', $value, allowNegative: true);
        }
        return self::time('expires', $value);
    }

    private static function priority(mixed $value): int
    {
        if (!is_int($value) || $value < 0 || $value > 9) {
            throw InvalidOption::invalid('priority', $value, 'expected an integer from 0 to 9 '
                . '(on Redis, 0 runs first).');
        }
        return $value;
    }

    private static function count(string $name, mixed $value): int
    {
        if (!is_int($value) || $value < 0) {
            throw InvalidOption::invalid($name, $value, 'expected an integer of at least 0.');
        }
        return $value;
    }

    private static function flag(string $name, mixed $value): bool
    {
        if (!is_bool($value)) {
            throw InvalidOption::invalid($name, $value, 'expected true or false.');
        }
        return $value;
    }

    /**
     * @param list<string> $choices
     */
    private static function choice(string $name, mixed $value, array $choices): string
    {
        if (!in_array($value, $choices, true)) {
            throw InvalidOption::invalid($name, $value, 'expected one of ' . implode(', ', $choices) . '.');
        }
        return $value;
    }

    private static function text(string $name, mixed $value, bool $allowEmpty = false): string
    {
        if (!self::isCleanText($value) || (!$allowEmpty && $value === '')) {
            throw InvalidOption::invalid($name, $value, 'expected a non-empty UTF-8 string without control characters.');
        }
        return $value;
    }

    /**
     * A queue name becomes a Redis key that workers BRPOP. kombu separates the queue from the
     * priority step with "\x06\x16" and writes bindings as "key\x06\x16pattern\x06\x16queue",
     * so control characters would route the message where no worker reads.
     */
    private static function queueName(string $name, mixed $value): string
    {
        if (!self::isCleanText($value) || trim($value) === '') {
            throw InvalidOption::invalid($name, $value, 'expected a queue name: a non-empty UTF-8 string '
                . 'without control characters.');
        }
        return $value;
    }

    private static function isCleanText(mixed $value): bool
    {
        return is_string($value) && mb_check_encoding($value, 'UTF-8') && !PlainText::hasControl($value);
    }

    /**
     * Celery's stamping (5.3+): each stamp becomes a task option of its own name, listed in
     * stamped_headers; workers match them in revoke_by_stamped_headers.
     *
     * @return array<string, mixed>
     */
    private static function stamps(mixed $value): array
    {
        if (!is_array($value) || ($value !== [] && array_is_list($value))) {
            throw InvalidOption::invalid('stamps', $value, 'expected an array of stamp name => value.');
        }
        foreach (array_keys($value) as $name) {
            $name = (string) $name;
            $taken = in_array($name, self::NAMES, true) || in_array($name, self::RESERVED_HEADERS, true);
            if ($taken || $name === '' || !self::isCleanText($name)) {
                throw InvalidOption::invalid('stamps', $value, sprintf(
                    'the stamp name "%s" is not usable: Celery sends each stamp as a task option of that name, '
                    . 'so it must be a non-empty string that is no option or protocol header name.',
                    self::isCleanText($name) ? $name : bin2hex($name),
                ));
            }
        }
        try {
            $normalized = KombuJson::normalize($value, 'stamps');
        } catch (InvalidTaskArgument $e) {
            throw InvalidOption::invalid('stamps', $value, $e->getMessage(), $e);
        }
        return $normalized instanceof \stdClass ? get_object_vars($normalized) : [];
    }

    /**
     * @param array<string, mixed> $options
     * @return array<string, string|int>
     */
    private static function properties(array $options): array
    {
        $properties = [];
        foreach (self::PROPERTIES as $name) {
            if (isset($options[$name])) {
                // AMQP's timestamp is a whole number of seconds; the others are short strings.
                $properties[$name] = $name === 'timestamp' ? self::count($name, $options[$name]) : self::text($name, $options[$name]);
            }
        }
        return $properties;
    }

    private static function headers(mixed $value): \stdClass
    {
        if (!is_array($value) || ($value !== [] && array_is_list($value))) {
            throw InvalidOption::invalid('headers', $value, 'expected an array of header name => value.');
        }
        foreach (array_keys($value) as $header) {
            if (in_array((string) $header, self::RESERVED_HEADERS, true)) {
                throw InvalidOption::invalid('headers', $value, sprintf(
                    'the header "%s" is part of Celery\'s task protocol and would replace it; use the option of that name instead.',
                    $header,
                ));
            }
        }
        try {
            $normalized = KombuJson::normalize($value, 'headers');
        } catch (InvalidTaskArgument $e) {
            throw InvalidOption::invalid('headers', $value, $e->getMessage(), $e);
        }
        return $normalized instanceof \stdClass ? $normalized : new \stdClass();
    }

    /**
     * Callbacks: any canvas, which the worker applies with the result (or the failed task's id).
     *
     * @return list<Embeddable>
     */
    private static function signatures(string $name, mixed $value): array
    {
        $list = $value instanceof Embeddable ? [$value] : $value;
        if (!is_array($list) || !array_is_list($list)) {
            throw InvalidOption::invalid($name, $value, 'expected a canvas (Signature, Chain, Group, Chord) or a list of them.');
        }
        foreach ($list as $item) {
            if (!$item instanceof Embeddable) {
                throw InvalidOption::invalid($name, $item, 'expected a Signature, Chain, Group or Chord.');
            }
            if ($name === 'link_error' && ($item->toCelery()['subtask_type'] ?? null) === 'chain') {
                // celery.chain is not a bound task, so the worker calls it in-process as
                // errback(request, exc, traceback), which fails to serialize the request.
                throw InvalidOption::invalid($name, $item, 'a Chain as errback never runs: Celery workers call it '
                    . 'with (request, exc, traceback) and fail to serialize the request. Wrap it in a group, '
                    . 'new Group($chain), which the worker applies with the failed task\'s id.');
            }
        }
        return $list;
    }
}
