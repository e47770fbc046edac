<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * The Redis list a message must be pushed to, as kombu's Redis transport names it.
 *
 * kombu maps a priority to the largest step not above it (priority_steps, default 0/3/6/9) and
 * names the list "<queue>" for step 0, "<queue><sep><step>" otherwise (sep default "\x06\x16").
 * Workers BRPOP the step lists in step order, so on Redis 0 runs first. global_keyprefix is
 * prepended verbatim to every key.
 */
final class QueueKeys
{
    public const DEFAULT_STEPS = [0, 3, 6, 9];
    public const DEFAULT_SEP = "\x06\x16";
    private const STEPS = 'broker_transport_options.priority_steps';

    /**
     * @param list<int> $steps
     */
    public function __construct(
        public readonly array $steps = self::DEFAULT_STEPS,
        public readonly string $sep = self::DEFAULT_SEP,
        public readonly string $prefix = '',
    ) {
    }

    /**
     * @param array<string, mixed> $transportOptions broker_transport_options
     */
    public static function fromTransportOptions(array $transportOptions): self
    {
        $steps = $transportOptions['priority_steps'] ?? self::DEFAULT_STEPS;
        if (!is_array($steps) || $steps === [] || !array_is_list($steps)) {
            throw InvalidConfiguration::invalid(self::STEPS, $steps, 'expected a list of integers, e.g. [0, 3, 6, 9].');
        }
        foreach ($steps as $i => $step) {
            if (!is_int($step) || $step < 0 || $step > 9 || ($i > 0 && $step <= $steps[$i - 1])) {
                throw InvalidConfiguration::invalid(self::STEPS, $steps, 'expected ascending integers from 0 to 9, e.g. [0, 3, 6, 9].');
            }
        }
        $sep = $transportOptions['sep'] ?? self::DEFAULT_SEP;
        if (!is_string($sep) || $sep === '') {
            throw InvalidConfiguration::invalid('broker_transport_options.sep', $sep, 'expected a non-empty string '
                . '(kombu\'s default is "\x06\x16").');
        }
        $prefix = $transportOptions['global_keyprefix'] ?? '';
        if (!is_string($prefix)) {
            throw InvalidConfiguration::invalid('broker_transport_options.global_keyprefix', $prefix, 'expected a string.');
        }
        return new self($steps, $sep, $prefix);
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
