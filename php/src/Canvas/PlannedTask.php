<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

/**
 * One message a canvas publishes: the task with its final options and what the worker
 * continues with after it (the embed's chain and chord).
 *
 * @internal
 */
final class PlannedTask
{
    /**
     * @param list<array<string, mixed>>|null $chain signature dicts, the next step last
     * @param array<string, mixed>|null $chord the chord body this task is a header part of
     * @param string|null $routeName the name task_routes sees, when not the task's (Celery's route_name)
     */
    public function __construct(
        public readonly Signature $signature,
        public readonly string $taskId,
        public readonly ?array $chain = null,
        public readonly ?array $chord = null,
        public readonly ?string $routeName = null,
    ) {
    }

    /**
     * @return array{chain: list<array<string, mixed>>|null, chord: array<string, mixed>|null}
     */
    public function embed(): array
    {
        return ['chain' => $this->chain, 'chord' => $this->chord];
    }
}
