<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Validation\Check;
use CeleryBridge\Wire\KombuJson;
use CeleryBridge\Wire\PythonTime;

/**
 * The checks of apply_async option values that are Celery's own (times, priorities, queue
 * names, headers, stamps, callbacks); the plain ones (text, numbers, flags) are Check's.
 *
 * @internal used by TaskOptions::fromArray()
 */
final class OptionChecks
{
    public static function time(string $name, mixed $value): \DateTimeImmutable
    {
        if ($value instanceof \DateTimeInterface) {
            return \DateTimeImmutable::createFromInterface($value);
        }
        if (is_string($value)) {
            $time = PythonTime::isoparse($value);
            if ($time !== null) {
                return $time;
            }
        }
        throw InvalidOption::invalid($name, $value, 'expected a DateTimeInterface or an ISO-8601 string '
            . 'such as "2026-11-24T10:00:00+00:00" (the form Celery workers parse).');
    }

    public static function expires(mixed $value): int|float|\DateTimeImmutable
    {
        if (is_int($value) || is_float($value)) {
            return Check::option()->seconds('expires', $value, negative: true);
        }
        return self::time('expires', $value);
    }

    public static function priority(mixed $value): int
    {
        if (!is_int($value) || $value < 0 || $value > 9) {
            throw InvalidOption::invalid('priority', $value, 'expected an integer from 0 to 9 '
                . '(on Redis, 0 runs first).');
        }
        return $value;
    }

    /**
     * A queue name becomes a Redis key that workers BRPOP. kombu separates the queue from the
     * priority step with "\x06\x16" and writes bindings as "key\x06\x16pattern\x06\x16queue",
     * so control characters would route the message where no worker reads.
     */
    public static function queueName(string $name, mixed $value): string
    {
        if (!Check::isCleanText($value) || trim($value) === '') {
            Check::option()->fail($name, $value, 'expected a queue name: a non-empty UTF-8 string '
                . 'without control characters.');
        }
        return $value;
    }

    /**
     * Celery's stamping (5.3+): each stamp becomes a task option of its own name, listed in
     * stamped_headers; workers match them in revoke_by_stamped_headers.
     *
     * @param list<string> $taken option and protocol header names, which a stamp cannot have
     * @return array<string, mixed>
     */
    public static function stamps(mixed $value, array $taken): array
    {
        foreach (array_keys(Check::option()->map('stamps', $value, 'stamp name => value')) as $name) {
            $name = (string) $name;
            if (in_array($name, $taken, true) || $name === '' || !Check::isCleanText($name)) {
                throw InvalidOption::invalid('stamps', $value, sprintf(
                    'the stamp name "%s" is not usable: Celery sends each stamp as a task option of that name, '
                    . 'so it must be a non-empty string that is no option or protocol header name.',
                    Check::isCleanText($name) ? $name : bin2hex($name),
                ));
            }
        }
        return get_object_vars(self::kombuJson('stamps', $value));
    }

    /**
     * @param list<string> $reserved the protocol's header names (TaskOptions::RESERVED_HEADERS)
     */
    public static function headers(mixed $value, array $reserved): \stdClass
    {
        foreach (array_keys(Check::option()->map('headers', $value, 'header name => value')) as $header) {
            if (in_array((string) $header, $reserved, true)) {
                throw InvalidOption::invalid('headers', $value, sprintf(
                    'the header "%s" is part of Celery\'s task protocol and would replace it; use the option of that name instead.',
                    $header,
                ));
            }
        }
        return self::kombuJson('headers', $value);
    }

    /**
     * headers and stamps travel as kombu JSON objects: plain data only.
     *
     * @param array<string, mixed> $value
     */
    private static function kombuJson(string $option, array $value): \stdClass
    {
        try {
            $normalized = KombuJson::normalize($value, $option);
        } catch (InvalidTaskArgument $e) {
            throw InvalidOption::invalid($option, $value, $e->getMessage(), $e);
        }
        return $normalized instanceof \stdClass ? $normalized : new \stdClass();
    }

    /**
     * Callbacks: any canvas, which the worker applies with the result (or the failed task's id).
     *
     * @return list<Embeddable>
     */
    public static function signatures(string $name, mixed $value): array
    {
        $list = $value instanceof Embeddable ? [$value] : $value;
        if (!is_array($list) || !array_is_list($list)) {
            throw InvalidOption::invalid($name, $value, 'expected a canvas (Signature, Chain, Group, Chord) or a list of them.');
        }
        foreach ($list as $item) {
            if (!$item instanceof Embeddable) {
                throw InvalidOption::invalid($name, $item, 'expected a Signature, Chain, Group or Chord.');
            }
            if ($name === 'link_error' && ($item->toCelery()['subtask_type'] ?? null) === 'chain') {
                // celery.chain is not a bound task, so the worker calls it in-process as
                // errback(request, exc, traceback), which fails to serialize the request.
                throw InvalidOption::invalid($name, $item, 'a Chain as errback never runs: Celery workers call it '
                    . 'with (request, exc, traceback) and fail to serialize the request. Wrap it in a group, '
                    . 'new Group($chain), which the worker applies with the failed task\'s id.');
            }
        }
        return $list;
    }
}
