<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Canvas\Signature;

/**
 * The envelope of the most common call, `sendTask($name, $args, $kwargs)` without options,
 * from a template: what never changes is taken once from MessageBuilder's own output for a
 * placeholder task, so the bytes are MessageBuilder's by construction, and each call only fills
 * in the name, ids, arguments and their repr.
 *
 * It takes plain data only (null, bool, int, finite float, UTF-8 strings, lists and maps of
 * those, no kombu-marker-shaped maps); for anything else envelope() returns null and the caller
 * takes the general path, which validates and builds everything.
 *
 * @internal
 */
final class PlainTaskEncoder
{
    private const TASK = '@@cb-task@@';
    private const ID = '@@cb-id@@';
    private const TAG = '@@cb-tag@@';
    private const QUEUE = '@@cb-queue@@';
    private const ARGSREPR = '@@cb-argsrepr@@';
    private const KWARGSREPR = '@@cb-kwargsrepr@@';
    /** 12 bytes, so its base64 has no padding and appears whole in the envelope. */
    private const BODY = '@@cb-body@@@';

    /** How many task and queue names remember() keeps. */
    private const NAMES = 1000;

    /** Same limit as KombuJson::normalize(). */
    private const MAX_DEPTH = 100;

    /** Printable ASCII but ' and \, which Python's repr writes as themselves. */
    private const SIMPLE_CHARS = ' !"#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`'
        . 'abcdefghijklmnopqrstuvwxyz{|}~';

    /** Below saferepr's 1024 characters, so the simple repr never needs cutting. */
    private const SIMPLE_REPR_LENGTH = 1000;

    /** @var array<int, array{list<string>, array<int, string>}> template pieces by priority */
    private array $templates = [];

    /** @var array<string, string> task and queue names as they appear in the JSON, by name */
    private array $inJson = [];

    private readonly string $bodyTail;

    private readonly bool $usable;

    public function __construct(private readonly MessageBuilder $builder)
    {
        $message = $this->placeholderMessage(0);
        // The body of a task without arguments: [[],{},{"callbacks":null,...}]. Only the plain
        // JSON serializer without compression (protocol 2) has that shape.
        $this->usable = $message->headers !== [] && !isset($message->headers['compression'])
            && $message->contentType === 'application/json' && str_starts_with($message->body, '[[],{}');
        $this->bodyTail = substr($message->body, strlen('[[],{}'));
    }

    /**
     * @param list<mixed> $args
     * @param array<array-key, mixed> $kwargs
     * @return string|null the JSON text to LPUSH, or null when the call needs the general path
     */
    public function envelope(
        string $task,
        string $taskId,
        array $args,
        array $kwargs,
        string $deliveryTag,
        Delivery $delivery,
    ): ?string {
        if (!$this->usable || $delivery->exchange !== '' || !array_is_list($args)) {
            return null;
        }
        foreach ($kwargs as $key => $_) {
            if (!is_string($key) || $key === '') {
                return null;
            }
        }
        // kwargs itself can be shaped like a kombu marker, as any map inside can.
        if (!self::plain($args, 0) || !self::plain($kwargs, 0) || KombuMarker::shaped($kwargs)) {
            return null;
        }
        try {
            $argsJson = json_encode($args, KombuJson::ENCODE_FLAGS);
            $kwargsJson = $kwargs === [] ? '{}' : json_encode($kwargs, KombuJson::ENCODE_FLAGS);
            $argsRepr = self::simpleRepr($args, '[', ']') ?? PythonRepr::args(KombuJson::normalize($args, 'args'));
            $kwargsRepr = self::simpleRepr($kwargs, '{', '}')
                ?? PythonRepr::kwargs(self::asObject(KombuJson::normalize($kwargs, 'kwargs')));
            $values = [
                self::TASK => $this->inJson[$task] ?? $this->remember($task),
                self::ID => $taskId,
                self::TAG => $deliveryTag,
                self::QUEUE => $this->inJson[$delivery->queue] ?? $this->remember($delivery->queue),
                self::ARGSREPR => self::inString($argsRepr),
                self::KWARGSREPR => self::inString($kwargsRepr),
                self::BODY => base64_encode('[' . $argsJson . ',' . $kwargsJson . $this->bodyTail),
            ];
        } catch (\JsonException) {
            // Invalid UTF-8, NAN, INF...: the general path says what is wrong.
            return null;
        }
        [$pieces, $slots] = $this->templates[$delivery->priority] ??= $this->template($delivery->priority);
        foreach ($slots as $i => $slot) {
            $pieces[$i] = $values[$slot];
        }
        return implode('', $pieces);
    }

    /**
     * Data json_encode() writes exactly as KombuJson does: no objects (dates, JsonSerializable
     * and enums need the general path), no maps kombu would read as a typed value.
     *
     * @param array<array-key, mixed> $values
     */
    private static function plain(array $values, int $depth): bool
    {
        if ($depth >= self::MAX_DEPTH) {
            return false;
        }
        foreach ($values as $value) {
            if (is_array($value)) {
                if (KombuMarker::shaped($value) || !self::plain($value, $depth + 1)) {
                    return false;
                }
            } elseif (is_object($value)) {
                return false;
            }
        }
        return true;
    }

    /**
     * saferepr() of a flat list or map of ints, bools, None and short printable-ASCII strings
     * without quotes or backslashes, whose repr is plain Python; null for anything else.
     *
     * @param array<array-key, mixed> $values
     */
    private static function simpleRepr(array $values, string $open, string $close): ?string
    {
        if ($values === []) {
            return $open === '[' ? '()' : '{}';
        }
        $items = [];
        foreach ($values as $key => $value) {
            $text = match (true) {
                is_int($value) => (string) $value,
                $value === true => 'True',
                $value === false => 'False',
                $value === null => 'None',
                is_string($value) && self::simpleText($value) => "'" . $value . "'",
                default => null,
            };
            if ($text === null || ($open === '{' && !self::simpleText((string) $key))) {
                return null;
            }
            $items[] = $open === '{' ? "'" . $key . "': " . $text : $text;
        }
        $repr = $open . implode(', ', $items) . $close;
        return strlen($repr) < self::SIMPLE_REPR_LENGTH ? $repr : null;
    }

    private static function simpleText(string $text): bool
    {
        return strlen($text) < self::SIMPLE_REPR_LENGTH && strspn($text, self::SIMPLE_CHARS) === strlen($text);
    }

    /**
     * A task or queue name as it appears in the JSON, remembered (for a bounded number of names).
     */
    private function remember(string $name): string
    {
        if (count($this->inJson) >= self::NAMES) {
            $this->inJson = [];
        }
        return $this->inJson[$name] = self::inString($name);
    }

    /**
     * A string as it appears inside a JSON string of the envelope.
     */
    private static function inString(string $text): string
    {
        return substr(json_encode($text, KombuJson::ENCODE_FLAGS), 1, -1);
    }

    private static function asObject(mixed $normalized): \stdClass
    {
        return $normalized instanceof \stdClass ? $normalized : new \stdClass();
    }

    /**
     * MessageBuilder's envelope for the placeholder task, cut at the placeholders.
     *
     * @return array{list<string>, array<int, string>} the pieces, and which of them are slots
     */
    private function template(int $priority): array
    {
        $message = $this->placeholderMessage($priority);
        $headers = $message->headers;
        $headers['argsrepr'] = self::ARGSREPR;
        $headers['kwargsrepr'] = self::KWARGSREPR;
        $envelope = (new TaskMessage(
            $message->taskId,
            $headers,
            $message->properties,
            self::BODY,
            $message->contentType,
            $message->contentEncoding,
        ))->toEnvelope();
        $slots = [self::TASK, self::ID, self::TAG, self::QUEUE, self::ARGSREPR, self::KWARGSREPR];
        $pattern = '/(' . implode('|', array_map('preg_quote', [...$slots, base64_encode(self::BODY)])) . ')/';
        $pieces = preg_split($pattern, $envelope, -1, PREG_SPLIT_DELIM_CAPTURE);
        $slotAt = [];
        foreach ($pieces as $i => $piece) {
            if ($i % 2 === 1) {
                $slotAt[$i] = $piece === base64_encode(self::BODY) ? self::BODY : $piece;
            }
        }
        return [$pieces, $slotAt];
    }

    private function placeholderMessage(int $priority): TaskMessage
    {
        return $this->builder->build(
            new Signature(self::TASK),
            self::ID,
            new Delivery(self::QUEUE, $priority),
            new \DateTimeImmutable('@0'),
            self::TAG,
        );
    }
}
