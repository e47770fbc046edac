<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;

/**
 * What sending a canvas does, decided before any byte is written: the chord sizes to store,
 * the messages to publish in order, and the result handle to return.
 *
 * @internal
 */
final class Plan
{
    /**
     * @param list<PlannedTask> $tasks
     * @param array<string, int> $chordSizes group id => number of header results the chord waits for
     * @param array<string, GroupResult> $savedGroups chord headers to save with the chord sizes
     *        (those holding a group result themselves, see CanvasPlanner::publishChord())
     */
    public function __construct(
        public readonly array $tasks,
        public readonly array $chordSizes,
        public readonly AsyncResult|GroupResult $result,
        public readonly array $savedGroups = [],
    ) {
    }
}
