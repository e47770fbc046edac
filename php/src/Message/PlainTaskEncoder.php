<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Wire\KombuJson;

// Imported, so that PHP compiles these to their own opcodes instead of namespaced calls: this
// class runs on every publish.
use function array_is_list;
use function base64_encode;
use function count;
use function implode;
use function is_int;
use function json_encode;
use function str_contains;
use function str_replace;
use function substr;

/**
 * The envelope of the most common call, `sendTask($name, $args, $kwargs)` without options,
 * from a template: the envelope MessageBuilder writes for such a task (ProtocolTwo's headers
 * and properties in Envelope's fields), kept as text so that a fresh process or an FPM request
 * that sends one task neither loads nor runs the builders. partsFor() fills in a task name and
 * its delivery once (the caller keeps them with the route: PlainPath, ChunkBuilder), then each
 * envelope() only fills in the ids, the arguments and their repr. PlainTaskEncoderTest derives
 * the template from ProtocolTwo and Envelope and fails, printing the new text, when they
 * change; it also proves the bytes equal MessageBuilder's for every priority.
 *
 * It takes plain data only (null, bool, int, finite float, UTF-8 strings, lists and maps of
 * those, no kombu-marker-shaped maps); for anything else envelope() returns null and the caller
 * takes the general path, which validates and builds everything.
 *
 * @internal
 */
final class PlainTaskEncoder
{
    /** The most ints the int-only fast path takes: 32 * 22 + 2 < SIMPLE_REPR_LENGTH (1000). */
    private const INLINE_INTS = 32;

    /** KombuJson::ENCODE_FLAGS, repeated so that this path does not load KombuJson (a test compares them). */
    public const ENCODE_FLAGS = JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
        | JSON_PRESERVE_ZERO_FRACTION;

    /**
     * The envelope of a task without options cut where the values go: the body, task name, id
     * (as id and root_id), argsrepr, kwargsrepr, id (as correlation_id), queue and delivery tag
     * go between these parts, in this order (partsFor() fills in the name and queue, envelope()
     * the rest); partsFor() also fills in the markers (from AROUND_ORIGIN, AROUND_REPLY_TO and
     * AROUND_PRIORITY). Opcache keeps it in shared memory: an FPM request builds nothing.
     */
    public const TEMPLATE = [
        '{"body":"',
        '","content-encoding":"utf-8","content-type":"application/json","headers":{"lang":"py","task":"',
        '","id":"',
        '","shadow":null,"eta":null,"expires":null,"group":null,"group_index":null,"retries":0,'
            . '"timelimit":[null,null],"root_id":"',
        '","parent_id":null,"argsrepr":"',
        '","kwargsrepr":"',
        '","origin":"%origin%","ignore_result":null,"replaced_task_nesting":0,"stamped_headers":null,'
            . '"stamps":{}},"properties":{"correlation_id":"',
        '","reply_to":"%reply_to%","delivery_mode":2,"delivery_info":{"exchange":"","routing_key":"',
        '"},"priority":%priority%,"body_encoding":"base64","delivery_tag":"',
        '"}}',
    ];

    /**
     * TEMPLATE's parts 6, 7 and 8 cut around their markers (%origin%, %reply_to%, %priority%;
     * a test holds them equal), so that partsFor() joins them without str_replace(). Literals,
     * as TEMPLATE: opcache joins `self::` constants of literal text when it compiles partsFor().
     */
    public const AROUND_ORIGIN = [
        '","origin":"',
        '","ignore_result":null,"replaced_task_nesting":0,"stamped_headers":null,"stamps":{}},"properties":{"correlation_id":"',
    ];
    public const AROUND_REPLY_TO = ['","reply_to":"', '","delivery_mode":2,"delivery_info":{"exchange":"","routing_key":"'];
    public const AROUND_PRIORITY = ['"},"priority":', ',"body_encoding":"base64","delivery_tag":"'];

    /** The body after the arguments: Celery's embed with no callbacks, chain or chord. */
    public const BODY_TAIL = ',{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]';

    /**
     * The body after ints as arguments (without their closing bracket) and no kwargs: '],{}' and
     * BODY_TAIL, written out (a constant made of another is evaluated again in every PHP-FPM
     * request; a test compares them).
     */
    public const INT_ARGS_TAIL = '],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]';

    /** TEMPLATE[6] with this client's origin, and TEMPLATE[7]'s text before the queue with its reply_to. */
    private readonly string $afterKwargsRepr;
    private readonly string $beforeQueue;

    private function __construct(string $origin, string $replyTo)
    {
        // (inString(), without the calls.)
        $this->afterKwargsRepr = self::AROUND_ORIGIN[0] . substr(json_encode($origin, self::ENCODE_FLAGS), 1, -1)
            . self::AROUND_ORIGIN[1];
        $this->beforeQueue = self::AROUND_REPLY_TO[0] . substr(json_encode($replyTo, self::ENCODE_FLAGS), 1, -1)
            . self::AROUND_REPLY_TO[1];
    }

    /**
     * The encoder for a client whose messages have the template's shape (protocol 2, JSON, no
     * compression), or null: such a client always takes the general path.
     */
    public static function forClient(string $origin, string $replyTo, int $protocol, string $serializer, ?string $compression): ?self
    {
        return $protocol === 2 && $serializer === 'json' && $compression === null ? new self($origin, $replyTo) : null;
    }

    /**
     * The template's text for a task name and its delivery, with the name, queue and priority
     * filled in, for envelope(): 0-6 around the slots of ints as arguments and no kwargs (body,
     * task id, task id, argsrepr, task id, delivery tag), 7-9 the text around argsrepr and
     * kwargsrepr when they are written out. Null when the template does not fit: a named
     * exchange, or a name or queue that is not UTF-8 (the general path says what is wrong).
     *
     * @return list<string>|null
     */
    public function partsFor(string $task, Delivery $delivery): ?array
    {
        if ($delivery->exchange !== '') {
            return null;
        }
        try {
            $name = self::inString($task);
            $queue = self::inString($delivery->queue);
        } catch (\JsonException) {
            return null;
        }
        // TEMPLATE's parts, with this client's origin and reply_to, the name, queue and
        // priority filled in, without a copy of TEMPLATE being made or searched.
        return [
            self::TEMPLATE[0],
            self::TEMPLATE[1] . $name . self::TEMPLATE[2],
            self::TEMPLATE[3],
            self::TEMPLATE[4] . '[',
            ']' . self::TEMPLATE[5] . '{}' . $this->afterKwargsRepr,
            $this->beforeQueue . $queue . self::AROUND_PRIORITY[0] . $delivery->priority . self::AROUND_PRIORITY[1],
            self::TEMPLATE[9],
            self::TEMPLATE[4],
            self::TEMPLATE[5],
            $this->afterKwargsRepr,
        ];
    }

    /**
     * @param list<string> $p partsFor()'s parts, for the task's name and delivery
     * @param list<mixed> $args
     * @param array<array-key, mixed> $kwargs
     * @return string|null the JSON text to LPUSH, or null when the call needs the general path
     */
    public function envelope(array $p, string $taskId, array $args, array $kwargs, string $deliveryTag): ?string
    {
        if ($kwargs === []) {
            // The commonest call, a few ints and no kwargs, inline: json_encode() and Python's
            // repr write ints alike, repr with ", " between them.
            foreach ($args as $value) {
                if (!is_int($value)) {
                    break;
                }
            }
            // Up to INLINE_INTS ints: their repr (20 characters an int at most, ", " between)
            // stays below saferepr's cut (PlainValues::SIMPLE_REPR_LENGTH) without a check.
            if ($args !== [] && is_int($value) && count($args) <= self::INLINE_INTS && array_is_list($args)) {
                $ints = implode(',', $args);
                $body = base64_encode('[[' . $ints . self::INT_ARGS_TAIL);
                $argsRepr = str_replace(',', ', ', $ints);
                // The slots in partsFor()'s order, in one string (PHP allocates it once).
                return "{$p[0]}{$body}{$p[1]}{$taskId}{$p[2]}{$taskId}{$p[3]}{$argsRepr}{$p[4]}{$taskId}{$p[5]}{$deliveryTag}{$p[6]}";
            }
        }
        if (!PlainValues::call($args, $kwargs)) {
            return null;
        }
        try {
            $argsJson = json_encode($args, self::ENCODE_FLAGS);
            $argsRepr = PlainValues::simpleRepr($args, '[', ']');
            $argsRepr = $argsRepr === null
                ? self::inString(PythonRepr::args(KombuJson::normalize($args, 'args')))
                : self::simpleInString($argsRepr);
            if ($kwargs === []) {
                $kwargsJson = '{}';
                $kwargsRepr = '{}';
            } else {
                $kwargsJson = json_encode($kwargs, self::ENCODE_FLAGS);
                $kwargsRepr = PlainValues::simpleRepr($kwargs, '{', '}');
                $kwargsRepr = $kwargsRepr === null
                    ? self::inString(PythonRepr::kwargs(PlainValues::normalizedKwargs($kwargs)))
                    : self::simpleInString($kwargsRepr);
            }
            $body = base64_encode('[' . $argsJson . ',' . $kwargsJson . self::BODY_TAIL);
        } catch (\JsonException) {
            // Invalid UTF-8, NAN, INF...: the general path says what is wrong.
            return null;
        }
        // The slots in partsFor()'s order, in one string (PHP allocates it once).
        return "{$p[0]}{$body}{$p[1]}{$taskId}{$p[2]}{$taskId}{$p[7]}{$argsRepr}{$p[8]}{$kwargsRepr}{$p[9]}{$taskId}"
            . "{$p[5]}{$deliveryTag}{$p[6]}";
    }

    /**
     * A string as it appears inside a JSON string of the envelope.
     */
    private static function inString(string $text): string
    {
        return substr(json_encode($text, self::ENCODE_FLAGS), 1, -1);
    }

    /**
     * A simple repr (printable ASCII without \\) inside a JSON string: only a " needs escaping.
     */
    private static function simpleInString(string $repr): string
    {
        return str_contains($repr, '"') ? self::inString($repr) : $repr;
    }
}
