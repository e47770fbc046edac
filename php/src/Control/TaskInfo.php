<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Message\PythonRepr;

/**
 * A task a worker holds, as inspect active / reserved / scheduled / query_task report it
 * (Celery's Request.info(): id, name, args, kwargs, type, hostname, time_start, acknowledged,
 * delivery_info, worker_pid; scheduled ones also their eta and priority).
 *
 * args and kwargs are the task's own values, or the reprs the message carried when the worker
 * was asked with safe=true (active only); argsRepr/kwargsRepr are always the repr text.
 */
final class TaskInfo
{
    /**
     * @param mixed $args list of arguments, or their repr (a string)
     * @param mixed $kwargs map of keyword arguments, or their repr (a string)
     * @param array<string, mixed> $deliveryInfo exchange, routing_key, priority, redelivered
     * @param array<string, mixed> $info the entry as the worker sent it
     */
    public function __construct(
        public readonly string $worker,
        public readonly string $id,
        public readonly string $name,
        public readonly mixed $args,
        public readonly mixed $kwargs,
        public readonly string $argsRepr,
        public readonly string $kwargsRepr,
        public readonly ?\DateTimeImmutable $started,
        public readonly bool $acknowledged,
        public readonly ?int $workerPid,
        public readonly array $deliveryInfo,
        public readonly ?string $eta,
        public readonly ?int $priority,
        public readonly array $info,
    ) {
    }

    /**
     * An entry of active / reserved (the request info) or of scheduled ({eta, priority, request}).
     *
     * @internal
     * @param array<array-key, mixed> $entry
     */
    public static function fromReply(string $worker, array $entry): self
    {
        $eta = null;
        $priority = null;
        if (isset($entry['request']) && is_array($entry['request'])) {
            $eta = is_string($entry['eta'] ?? null) ? $entry['eta'] : null;
            $priority = is_int($entry['priority'] ?? null) ? $entry['priority'] : null;
            $entry = $entry['request'];
        }
        $args = $entry['args'] ?? [];
        $kwargs = $entry['kwargs'] ?? [];
        // time_start is the worker's time.time() when the task started; null until it has.
        $start = $entry['time_start'] ?? null;
        $started = is_int($start) || is_float($start)
            ? (\DateTimeImmutable::createFromFormat('U.u', sprintf('%.6F', $start)) ?: null)
            : null;
        return new self(
            (string) ($entry['hostname'] ?? $worker),
            (string) ($entry['id'] ?? ''),
            (string) ($entry['name'] ?? ''),
            $args,
            $kwargs,
            is_string($args) ? $args : PythonRepr::saferepr(self::python($args)),
            is_string($kwargs) ? $kwargs : PythonRepr::saferepr(is_array($kwargs) ? self::dict($kwargs) : $kwargs),
            $started,
            ($entry['acknowledged'] ?? false) === true,
            is_int($entry['worker_pid'] ?? null) ? $entry['worker_pid'] : null,
            is_array($entry['delivery_info'] ?? null) ? $entry['delivery_info'] : [],
            $eta,
            $priority,
            $entry,
        );
    }

    /**
     * The decoded JSON with its maps as stdClass, which PythonRepr writes as dicts.
     */
    private static function python(mixed $value): mixed
    {
        if (!is_array($value)) {
            return $value;
        }
        return array_is_list($value) ? array_map(self::python(...), $value) : self::dict($value);
    }

    /**
     * @param array<array-key, mixed> $map
     */
    private static function dict(array $map): \stdClass
    {
        $dict = new \stdClass();
        foreach ($map as $key => $item) {
            $dict->{$key} = self::python($item);
        }
        return $dict;
    }
}
