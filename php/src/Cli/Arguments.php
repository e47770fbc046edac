<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

/**
 * The command line split into words and options, GNU style: "--name value", "--name=value",
 * flags without a value, and "--" ending the options. Options may come before or after the
 * command's words.
 *
 * @internal
 */
final class Arguments
{
    /**
     * @param list<string> $words the command and its positional arguments
     * @param array<string, list<string|true>> $options every value given for each option
     */
    private function __construct(public readonly array $words, private readonly array $options)
    {
    }

    /**
     * @param list<string> $argv without the program name
     * @param list<string> $flags options that take no value
     * @param list<string> $optionalValue options whose value may be left out (e.g. --wait [S])
     * @param array<string, string> $short one-letter spellings of flags ('-h' => 'help'), read only
     *        where an option can stand (not as another option's value, not after "--")
     * @throws UsageError
     */
    public static function parse(array $argv, array $flags, array $optionalValue = [], array $short = []): self
    {
        $words = [];
        $options = [];
        for ($i = 0; $i < count($argv); $i++) {
            $arg = $argv[$i];
            if ($arg === '--') {
                array_push($words, ...array_slice($argv, $i + 1));
                break;
            }
            $arg = isset($short[$arg]) ? '--' . $short[$arg] : $arg;
            if (!str_starts_with($arg, '--') || $arg === '--') {
                $words[] = $arg;
                continue;
            }
            [$name, $value] = str_contains($arg, '=') ? explode('=', substr($arg, 2), 2) : [substr($arg, 2), null];
            if (in_array($name, $flags, true)) {
                if ($value !== null) {
                    throw new UsageError(sprintf('--%s takes no value.', $name));
                }
                $options[$name][] = true;
                continue;
            }
            if ($value === null) {
                $next = $argv[$i + 1] ?? null;
                $takesNext = $next !== null && !str_starts_with($next, '--')
                    && (!in_array($name, $optionalValue, true) || is_numeric($next));
                if ($takesNext) {
                    $value = $next;
                    $i++;
                } elseif (in_array($name, $optionalValue, true)) {
                    $options[$name][] = true;
                    continue;
                } else {
                    throw new UsageError(sprintf('--%s needs a value.', $name));
                }
            }
            $options[$name][] = $value;
        }
        return new self($words, $options);
    }

    public function has(string $name): bool
    {
        return isset($this->options[$name]);
    }

    /**
     * The last value given, true for a flag or a value left out, or $default.
     */
    public function get(string $name, string|bool|null $default = null): string|bool|null
    {
        $values = $this->options[$name] ?? [];
        return $values === [] ? $default : $values[count($values) - 1];
    }

    /**
     * @return list<string> every value given (for repeatable options)
     */
    public function all(string $name): array
    {
        return array_values(array_filter($this->options[$name] ?? [], 'is_string'));
    }

    /**
     * @param list<string> $known
     * @throws UsageError for an option this command does not take
     */
    public function allowOnly(array $known): void
    {
        foreach (array_keys($this->options) as $name) {
            if (!in_array($name, $known, true)) {
                throw new UsageError(sprintf('unknown option --%s (known here: %s).', $name, implode(', ', array_map(
                    static fn (string $n) => '--' . $n,
                    $known,
                ))));
            }
        }
    }
}
