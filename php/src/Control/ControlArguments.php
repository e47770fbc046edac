<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Exception\InvalidControlCommand;
use CeleryBridge\Wire\PlainText;

/**
 * Checks the arguments of the named control commands before anything is published, with the
 * rules the worker's handlers apply (celery/worker/control.py).
 *
 * @internal
 */
final class ControlArguments
{
    /**
     * POSIX signals a worker on any platform can resolve by name ("TERM" or "SIGTERM"): the
     * worker looks the name up in Python's signal module and only accepts upper case.
     */
    public const SIGNALS = [
        'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE',
        'ALRM', 'TERM', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM',
        'PROF', 'WINCH', 'IO', 'SYS',
    ];

    private function __construct()
    {
    }

    /**
     * @throws InvalidControlCommand
     */
    public static function taskName(string $task): string
    {
        return self::name('task_name', $task);
    }

    /**
     * A name the worker looks up (task, queue, module): non-empty UTF-8 without control characters.
     *
     * @throws InvalidControlCommand
     */
    public static function name(string $argument, mixed $value): string
    {
        if (!is_string($value) || $value === '' || !mb_check_encoding($value, 'UTF-8') || PlainText::hasControl($value)) {
            throw InvalidControlCommand::invalid($argument, $value, 'expected a non-empty UTF-8 name without control '
                . 'characters.', 'Control');
        }
        return $value;
    }

    /**
     * Celery's rate string (celery.utils.time.rate): a number of tasks per second, or
     * "<number>/<s|m|h>" (only the unit's first letter counts: "10/min" is "10/m").
     *
     * @throws InvalidControlCommand
     */
    public static function rate(string|int|float $rate): string|int|float
    {
        $valid = is_string($rate)
            ? preg_match('~^\d+(?:\.\d+)?(?:/[smh][a-z]*)?\z~', $rate) === 1
            : is_finite((float) $rate) && $rate >= 0;
        if (!$valid) {
            throw InvalidControlCommand::invalid('rate_limit', $rate, 'expected tasks per second or a rate such as '
                . '"10/m", "100/h" or "5/s" (0 removes the limit).', 'Control');
        }
        return $rate;
    }

    /**
     * @throws InvalidControlCommand
     */
    public static function seconds(string $argument, ?float $seconds): ?float
    {
        if ($seconds !== null && (!is_finite($seconds) || $seconds <= 0)) {
            throw InvalidControlCommand::invalid($argument, $seconds, 'expected a positive number of seconds, '
                . 'or null to leave that limit unset.', 'Control');
        }
        return $seconds;
    }

    /**
     * @throws InvalidControlCommand
     */
    public static function count(string $argument, int $n, int $min = 1): int
    {
        if ($n < $min) {
            throw InvalidControlCommand::invalid($argument, $n, sprintf('expected a whole number of at least %d.', $min), 'Control');
        }
        return $n;
    }

    /**
     * @throws InvalidControlCommand
     */
    public static function signal(string|int $signal): string|int
    {
        if (is_int($signal)) {
            if ($signal < 1 || $signal > 64) {
                throw InvalidControlCommand::invalid(
                    'signal',
                    $signal,
                    'expected a signal number from 1 to 64, or a name such as "SIGTERM".',
                );
            }
            return $signal;
        }
        $name = str_starts_with($signal, 'SIG') ? substr($signal, 3) : $signal;
        if (!in_array($name, self::SIGNALS, true)) {
            throw InvalidControlCommand::invalid('signal', $signal, 'expected an upper-case POSIX signal name such as '
                . '"SIGTERM", "TERM" or "SIGKILL" (the worker resolves it with Python\'s signal module).');
        }
        return $signal;
    }
}
