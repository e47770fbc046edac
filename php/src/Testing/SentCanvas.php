<?php

declare(strict_types=1);

namespace CeleryBridge\Testing;

use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;

/**
 * One send() (or one canvas of a sendMany(), or one sendTask()) CeleryFake recorded: the canvas
 * with the call's options and partial arguments applied, the messages it made and its result.
 */
final class SentCanvas
{
    /**
     * @param list<SentTask> $tasks the messages it made, in the order they would be written
     */
    public function __construct(
        public readonly Canvas $canvas,
        public readonly array $tasks,
        public readonly AsyncResult|GroupResult $result,
    ) {
    }

    /** "signature", "chain", "group" or "chord". */
    public function type(): string
    {
        return match (true) {
            $this->canvas instanceof Chain => 'chain',
            $this->canvas instanceof Group => 'group',
            $this->canvas instanceof Chord => 'chord',
            default => 'signature',
        };
    }

    /**
     * Celery's signature dict of the whole canvas (task, args, kwargs, options, subtask_type,
     * and the nested tasks), as a worker would see it.
     *
     * @return array<string, mixed>
     */
    public function shape(): array
    {
        return $this->canvas->toCelery();
    }

    /**
     * Every task name in the canvas, depth first in canvas order, those a worker sends later
     * included (a chain's later steps, a chord's body); callbacks are not walked.
     *
     * @return list<string>
     */
    public function taskNames(): array
    {
        return self::names($this->canvas);
    }

    /**
     * @return list<string>
     */
    private static function names(Canvas $canvas): array
    {
        return match (true) {
            $canvas instanceof Signature => [$canvas->task],
            $canvas instanceof Chain, $canvas instanceof Group => array_merge([], ...array_map(self::names(...), $canvas->tasks)),
            $canvas instanceof Chord => [...self::names($canvas->header), ...self::names($canvas->body)],
            default => [],
        };
    }
}
