<?php

declare(strict_types=1);

namespace CeleryBridge\Events;

/**
 * The Event interface's methods over the public readonly properties every event class
 * promotes: $type, $hostname, $timestamp and $fields.
 *
 * @internal
 */
trait EventAccessors
{
    public function type(): string
    {
        return $this->type;
    }

    public function hostname(): string
    {
        return $this->hostname;
    }

    public function timestamp(): ?\DateTimeImmutable
    {
        return $this->timestamp;
    }

    public function fields(): array
    {
        return $this->fields;
    }
}
