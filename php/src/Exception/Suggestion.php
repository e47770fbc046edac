<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * " Did you mean "x"?" for a misspelled name: the closest known name by edit distance, when it
 * is close enough to be the one meant.
 *
 * @internal
 */
final class Suggestion
{
    /**
     * @param list<string> $known
     */
    public static function didYouMean(string $name, array $known): string
    {
        $best = self::closest($name, $known);
        return $best === null ? '' : sprintf(' Did you mean "%s"?', $best);
    }

    /**
     * @param list<string> $known
     */
    public static function closest(string $name, array $known): ?string
    {
        $best = null;
        $distance = PHP_INT_MAX;
        $lower = strtolower($name);
        foreach ($known as $candidate) {
            $d = levenshtein($lower, strtolower($candidate));
            if ($d < $distance) {
                [$best, $distance] = [$candidate, $d];
            }
        }
        return $best !== null && $distance <= max(2, intdiv(strlen($name), 4)) ? $best : null;
    }
}
