<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function array_map;
use function count;

/**
 * The Redis list a message must be pushed to, as kombu's Redis transport names it.
 *
 * kombu maps a priority to the largest step not above it (priority_steps, default 0/3/6/9) and
 * names the list "<queue>" for step 0, "<queue><sep><step>" otherwise (sep default "\x06\x16").
 * Workers BRPOP the step lists in step order, so on Redis 0 runs first. global_keyprefix is
 * prepended verbatim to every key. TransportOptions::queueKeys() reads the three options.
 */
final class QueueKeys
{
    public const DEFAULT_STEPS = [0, 3, 6, 9];
    public const DEFAULT_SEP = "\x06\x16";

    /**
     * @param list<int> $steps
     */
    public function __construct(
        public readonly array $steps = self::DEFAULT_STEPS,
        public readonly string $sep = self::DEFAULT_SEP,
        public readonly string $prefix = '',
    ) {
    }

    public function listFor(string $queue, int $priority): string
    {
        $step = $this->step($priority);
        return $this->prefix . ($step === 0 ? $queue : $queue . $this->sep . $step);
    }

    /**
     * Every list of a queue, in the order workers drain them.
     *
     * @return list<string>
     */
    public function listsOf(string $queue): array
    {
        return array_map(
            fn (int $step) => $this->prefix . ($step === 0 ? $queue : $queue . $this->sep . $step),
            $this->steps,
        );
    }

    public function key(string $key): string
    {
        return $this->prefix . $key;
    }

    /**
     * kombu: steps[bisect_right(steps, priority) - 1]; below the first step that index is -1,
     * which Python reads as the last step.
     */
    private function step(int $priority): int
    {
        $index = 0;
        foreach ($this->steps as $step) {
            if ($step > $priority) {
                break;
            }
            $index++;
        }
        return $this->steps[$index - 1] ?? $this->steps[count($this->steps) - 1];
    }
}
