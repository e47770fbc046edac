<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

/**
 * The headers and properties of a Celery protocol 2 task message, in the order Celery 5.7's
 * app.amqp.as_task_v2 and kombu's Producer write them: the one place that says so, for
 * MessageBuilder and for PlainTaskEncoder's template.
 *
 * @internal
 */
final class ProtocolTwo
{
    private function __construct()
    {
    }

    /**
     * The headers of a task sent without options (no eta, expires, group, parent, time limits,
     * stamps): what the template paths (PlainTaskEncoder, AmqpTaskTemplate) are cut from.
     *
     * @return array<string, mixed>
     */
    public static function plainHeaders(string $task, string $id, string $argsrepr, string $kwargsrepr, string $origin): array
    {
        return self::headers(
            $task,
            $id,
            shadow: null,
            eta: null,
            expires: null,
            group: null,
            groupIndex: null,
            retries: 0,
            timeLimit: [null, null],
            rootId: $id,
            parentId: null,
            argsrepr: $argsrepr,
            kwargsrepr: $kwargsrepr,
            origin: $origin,
            ignoreResult: null,
            stampedHeaders: null,
            stamps: new \stdClass(),
        );
    }

    /**
     * @param array{0: float|int|null, 1: float|int|null} $timeLimit [hard, soft]
     * @param list<string>|null $stampedHeaders
     * @return array<string, mixed>
     */
    public static function headers(
        string $task,
        string $id,
        ?string $shadow,
        ?string $eta,
        ?string $expires,
        ?string $group,
        ?int $groupIndex,
        int $retries,
        array $timeLimit,
        string $rootId,
        ?string $parentId,
        string $argsrepr,
        string $kwargsrepr,
        string $origin,
        ?bool $ignoreResult,
        ?array $stampedHeaders,
        object $stamps,
    ): array {
        return [
            'lang' => 'py',
            'task' => $task,
            'id' => $id,
            'shadow' => $shadow,
            'eta' => $eta,
            'expires' => $expires,
            'group' => $group,
            'group_index' => $groupIndex,
            'retries' => $retries,
            'timelimit' => $timeLimit,
            'root_id' => $rootId,
            'parent_id' => $parentId,
            'argsrepr' => $argsrepr,
            'kwargsrepr' => $kwargsrepr,
            'origin' => $origin,
            // Unset, send_task() writes null: a 5.7 worker then applies the task's own
            // ignore_result, and 5.1-5.6 workers read null as false (store the result).
            'ignore_result' => $ignoreResult,
            'replaced_task_nesting' => 0,
            'stamped_headers' => $stampedHeaders,
            'stamps' => $stamps,
        ];
    }

    /**
     * @param array<string, mixed> $extra what send_task() hands kombu as properties (argsrepr and
     *        kwargsrepr when given as options, and the "properties" option), after reply_to
     * @param string|null $expiration kombu's per-message TTL in milliseconds, for "expires"
     * @return array<string, mixed>
     */
    public static function properties(
        string $correlationId,
        string $replyTo,
        array $extra,
        ?string $expiration,
        string $exchange,
        string $routingKey,
        int $priority,
        string $deliveryTag,
    ): array {
        $properties = ['correlation_id' => $correlationId, 'reply_to' => $replyTo] + $extra;
        $properties['delivery_mode'] = 2;
        if ($expiration !== null) {
            $properties['expiration'] = $expiration;
        }
        return $properties + [
            'delivery_info' => ['exchange' => $exchange, 'routing_key' => $routingKey],
            'priority' => $priority,
            'body_encoding' => 'base64',
            'delivery_tag' => $deliveryTag,
        ];
    }
}
