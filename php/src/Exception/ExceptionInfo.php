<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The exception a task raised, as Celery's JSON result serializer stores it:
 * {"exc_type": qualname, "exc_message": exc.args, "exc_module": module} plus the traceback text.
 */
final class ExceptionInfo
{
    /**
     * @param list<mixed> $args the exception's args tuple (Celery stores it as "exc_message")
     */
    public function __construct(
        public readonly string $type,
        public readonly ?string $module,
        public readonly array $args,
        public readonly ?string $traceback = null,
    ) {
    }

    /**
     * @param array<array-key, mixed> $stored the "result" of a FAILURE, RETRY or REVOKED meta
     * @throws \UnexpectedValueException when the mapping is not an exception description
     */
    public static function fromStored(array $stored, ?string $traceback): self
    {
        $type = $stored['exc_type'] ?? null;
        if (!is_string($type) || $type === '') {
            throw new \UnexpectedValueException('the exception description has no "exc_type" string.');
        }
        $module = $stored['exc_module'] ?? null;
        if ($module !== null && !is_string($module)) {
            throw new \UnexpectedValueException('"exc_module" is not a string.');
        }
        // Celery 5 stores the args as a list; Celery 3 and 4 stored str(exc).
        $message = $stored['exc_message'] ?? [];
        $args = is_array($message) && array_is_list($message) ? $message : [$message];
        return new self($type, $module, $args, $traceback);
    }

    /**
     * What Python's str(exc) shows: the single argument, or the repr of the args tuple.
     */
    public function message(): string
    {
        if (count($this->args) === 0) {
            return '';
        }
        if (count($this->args) === 1) {
            $arg = $this->args[0];
            // KeyError is the builtin whose str() quotes its argument.
            if ($this->type === 'KeyError' && ($this->module === 'builtins' || $this->module === null)) {
                return self::repr($arg);
            }
            return is_string($arg) ? $arg : self::repr($arg);
        }
        return '(' . implode(', ', array_map(self::repr(...), $this->args)) . ')';
    }

    /**
     * The name Python prints in a traceback: "ValueError", "myapp.errors.PaymentDeclined".
     */
    public function qualifiedType(): string
    {
        return $this->module === null || $this->module === 'builtins' || $this->module === '__main__'
            ? $this->type
            : $this->module . '.' . $this->type;
    }

    public function __toString(): string
    {
        $message = $this->message();
        return $message === '' ? $this->qualifiedType() : $this->qualifiedType() . ': ' . $message;
    }

    /**
     * A short Python-like repr, only for messages.
     */
    private static function repr(mixed $value): string
    {
        return match (true) {
            $value === null => 'None',
            $value === true => 'True',
            $value === false => 'False',
            is_string($value) => "'" . addcslashes($value, "'\\\n\r\t") . "'",
            is_float($value) => is_nan($value) ? 'nan' : (is_infinite($value) ? ($value > 0 ? 'inf' : '-inf')
                : (floor($value) === $value && abs($value) < 1e16 ? sprintf('%.1f', $value) : (string) $value)),
            is_int($value) => (string) $value,
            is_array($value) && array_is_list($value) => '[' . implode(', ', array_map(self::repr(...), $value)) . ']',
            is_array($value) => '{' . implode(', ', array_map(
                static fn ($k, $v): string => self::repr(is_int($k) ? (string) $k : $k) . ': ' . self::repr($v),
                array_keys($value),
                array_values($value),
            )) . '}',
            $value instanceof \DateTimeInterface => $value->format('Y-m-d\TH:i:s.uP'),
            default => get_debug_type($value),
        };
    }
}
