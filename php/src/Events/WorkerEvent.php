<?php

declare(strict_types=1);

namespace CeleryBridge\Events;

/**
 * A worker's event: worker-online, worker-heartbeat, worker-offline (celery/worker/heartbeat.py):
 * the node, how often it beats (freq, seconds), how many tasks it runs (active) and has
 * processed, its load average, and its software (sw_ident, sw_ver, sw_sys).
 */
final class WorkerEvent implements Event
{
    use EventAccessors;

    /**
     * @param list<float> $loadAverage
     * @param array<string, mixed> $fields
     */
    public function __construct(
        public readonly string $type,
        public readonly string $hostname,
        public readonly ?\DateTimeImmutable $timestamp,
        public readonly ?float $frequency,
        public readonly ?int $active,
        public readonly ?int $processed,
        public readonly array $loadAverage,
        public readonly ?string $software,
        public readonly array $fields,
    ) {
    }

    /**
     * @internal
     * @param array<string, mixed> $fields
     */
    public static function fromFields(string $type, array $fields): self
    {
        $load = is_array($fields['loadavg'] ?? null) ? $fields['loadavg'] : [];
        $software = EventFields::string($fields, 'sw_ident');
        $version = EventFields::string($fields, 'sw_ver');
        return new self(
            $type,
            EventFields::string($fields, 'hostname') ?? '',
            EventFields::time($fields),
            EventFields::float($fields, 'freq'),
            EventFields::int($fields, 'active'),
            EventFields::int($fields, 'processed'),
            array_values(array_map('floatval', array_filter($load, 'is_numeric'))),
            $software === null ? null : trim($software . ' ' . ($version ?? '')),
            $fields,
        );
    }
}
