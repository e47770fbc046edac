<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Connection\RetryPolicyReader;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Validation\Check;
use CeleryBridge\Wire\BodyEncoder;
use CeleryBridge\Wire\Compression;

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
        $check = Check::option();
        if (isset($options['countdown'], $options['eta'])) {
            throw InvalidOption::invalid('countdown', $options['countdown'], 'countdown and eta cannot both be given: '
                . 'countdown is only a shortcut for eta = now + countdown.');
        }
        return new self(
            $options,
            countdown: isset($options['countdown']) ? $check->seconds('countdown', $options['countdown'], negative: true) : null,
            eta: isset($options['eta']) ? OptionChecks::time('eta', $options['eta']) : null,
            expires: isset($options['expires']) ? OptionChecks::expires($options['expires']) : null,
            priority: isset($options['priority']) ? OptionChecks::priority($options['priority']) : null,
            queue: isset($options['queue']) ? OptionChecks::queueName('queue', $options['queue']) : null,
            routingKey: isset($options['routing_key']) ? OptionChecks::queueName('routing_key', $options['routing_key']) : null,
            exchange: isset($options['exchange']) ? $check->text('exchange', $options['exchange'], allowEmpty: true) : null,
            retries: isset($options['retries']) ? $check->count('retries', $options['retries']) : 0,
            timeLimit: isset($options['time_limit']) ? $check->seconds('time_limit', $options['time_limit']) : null,
            softTimeLimit: isset($options['soft_time_limit']) ? $check->seconds('soft_time_limit', $options['soft_time_limit']) : null,
            taskId: isset($options['task_id']) ? $check->text('task_id', $options['task_id']) : null,
            shadow: isset($options['shadow']) ? $check->text('shadow', $options['shadow']) : null,
            ignoreResult: isset($options['ignore_result']) ? $check->bool('ignore_result', $options['ignore_result']) : null,
            headers: isset($options['headers']) ? OptionChecks::headers($options['headers'], self::RESERVED_HEADERS) : new \stdClass(),
            link: isset($options['link']) ? OptionChecks::signatures('link', $options['link']) : [],
            linkError: isset($options['link_error']) ? OptionChecks::signatures('link_error', $options['link_error']) : [],
            serializer: isset($options['serializer']) ? $check->choice('serializer', $options['serializer'], self::SERIALIZERS) : null,
            compression: isset($options['compression']) ? $check->choice('compression', $options['compression'], self::COMPRESSIONS) : null,
            rootId: isset($options['root_id']) ? $check->text('root_id', $options['root_id']) : null,
            parentId: isset($options['parent_id']) ? $check->text('parent_id', $options['parent_id']) : null,
            groupId: isset($options['group_id']) ? $check->text('group_id', $options['group_id']) : null,
            groupIndex: isset($options['group_index']) ? $check->count('group_index', $options['group_index']) : null,
            // What logs, events and Flower show instead of the arguments (Celery 5's options of
            // the same names), e.g. to keep secrets passed as arguments out of them.
            argsrepr: isset($options['argsrepr']) ? $check->text('argsrepr', $options['argsrepr'], allowEmpty: true) : null,
            kwargsrepr: isset($options['kwargsrepr']) ? $check->text('kwargsrepr', $options['kwargsrepr'], allowEmpty: true) : null,
            // The task's request.reply_to (and the message's reply_to property) instead of the
            // client's oid, as send_task(reply_to=...) does.
            replyTo: isset($options['reply_to']) ? $check->text('reply_to', $options['reply_to']) : null,
            properties: self::properties($options),
            stamps: isset($options['stamps']) ? OptionChecks::stamps($options['stamps'], [...self::NAMES, ...self::RESERVED_HEADERS]) : [],
            // Publish settings of this call, as Celery's apply_async takes them; not written into
            // the message (a worker publishing an embedded callback reads them from its options).
            retry: isset($options['retry']) ? $check->bool('retry', $options['retry']) : null,
            retryPolicy: isset($options['retry_policy']) ? RetryPolicyReader::policy($check, 'retry_policy', $options['retry_policy']) : [],
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
     * @param array<string, mixed> $options
     * @return array<string, string|int>
     */
    private static function properties(array $options): array
    {
        $properties = [];
        $check = Check::option();
        foreach (self::PROPERTIES as $name) {
            if (isset($options[$name])) {
                // AMQP's timestamp is a whole number of seconds; the others are short strings.
                $properties[$name] = $name === 'timestamp' ? $check->count($name, $options[$name]) : $check->text($name, $options[$name]);
            }
        }
        return $properties;
    }
}
