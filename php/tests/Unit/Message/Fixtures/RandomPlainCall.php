<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message\Fixtures;

/**
 * Random calls of plain data (what the template paths take: ints, floats, bools, null,
 * strings, lists and string-keyed maps, nested), from mt_rand(): seed it for the same calls.
 */
final class RandomPlainCall
{
    /**
     * @param bool $wide ints past 32 bits and 300-character strings too (else small ints and
     *        strings of at most 40 characters)
     */
    public function __construct(private readonly bool $wide = false)
    {
    }

    /**
     * @return array{list<mixed>, array<string, mixed>} args and kwargs
     */
    public function next(): array
    {
        $args = array_values((array) $this->value(0, true));
        $kwargs = [];
        foreach ((array) $this->value(0, true) as $key => $value) {
            $kwargs['k' . $key] = $value;
        }
        return [$args, $kwargs];
    }

    private function value(int $depth, bool $container = false): mixed
    {
        $kind = $container ? mt_rand(6, 7) : mt_rand(0, $depth > 3 ? 5 : 7);
        $long = str_repeat('z', $this->wide ? 300 : 40);
        $strings = ['', 'a', "it's", 'é', '"', '\\', "\n", 'NaN', '😀', 'a b c', $long];
        return match ($kind) {
            0 => mt_rand(-1000, 1000) * ($this->wide && mt_rand(0, 1) === 0 ? 10_000_000_000 : 1),
            1 => mt_rand(0, 1) === 1,
            2 => null,
            3 => mt_rand(-1000, 1000) / 8,
            4, 5 => $strings[mt_rand(0, count($strings) - 1)],
            6 => array_map(fn () => $this->value($depth + 1), range(1, mt_rand(0, 4))),
            default => array_combine(
                array_map(static fn ($n) => 'key' . $n, range(1, $n = mt_rand(1, 4))),
                array_map(fn () => $this->value($depth + 1), range(1, $n)),
            ),
        };
    }
}
