<?php

declare(strict_types=1);

// What the publish and build benches share: methods timed in alternating rounds, so that each
// meets the same load on a shared machine, and the median of each one's rounds.

/**
 * Runs every method once per round, in turn, $rounds times; $after runs after each method
 * (untimed: emptying the queues). Returns each method's median seconds per item of $count.
 *
 * @param array<string, callable(): void> $methods
 * @return array<string, float>
 */
function median_rounds(array $methods, int $rounds, int $count, ?callable $after = null): array
{
    $times = array_fill_keys(array_keys($methods), []);
    for ($round = 0; $round < $rounds; $round++) {
        foreach ($methods as $name => $method) {
            $start = hrtime(true);
            $method();
            $times[$name][] = (hrtime(true) - $start) / 1e9 / $count;
            if ($after !== null) {
                $after();
            }
        }
    }
    return array_map('median', $times);
}

/** @param list<float> $values */
function median(array $values): float
{
    sort($values);
    return $values[intdiv(count($values), 2)];
}
