<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Wire\Amqp\BasicProperties;
use CeleryBridge\Wire\Amqp\FieldTable;
use CeleryBridge\Wire\KombuJson;

/**
 * The AMQP message of the most common call, `sendTask($name, $args, $kwargs)` without options,
 * from a template: the content header properties MessageBuilder's message gets over AMQP
 * (AmqpTaskMessage::fromTaskMessage(), BasicProperties::encode()), with slots for the task name,
 * the id (as id, root_id and correlation_id), argsrepr, kwargsrepr, origin and reply_to. Each
 * call fills the slots and the header table's length; nothing is encoded field by field. The
 * body is the raw JSON (AMQP has no base64 envelope).
 *
 * The template is cut, once per process, delivery mode and priority, out of the general
 * encoder's own output for marker values: it changes when ProtocolTwo's headers or Wire\Amqp's
 * encoding change. It is binary (flags, lengths) and kept in a static property: a client's
 * dump (print_r, var_export of a CeleryClient) shows no bytes of it.
 * AmqpTaskTemplateTest proves the bytes (and the properties ext-amqp is given) equal the
 * general path's for a range of arguments, names and priorities.
 *
 * It takes what PlainTaskEncoder takes (plain data, a queue on the default exchange); for
 * anything else message() returns null and the caller takes the general path.
 *
 * @internal
 */
final class AmqpTaskTemplate
{
    /** Marker values the template is cut at (no real task name, id or repr looks like these). */
    private const TASK = "\x00cb-slot-task\x00";
    private const ID = "\x00cb-slot-id-0000000000000000000000\x00";
    private const ARGSREPR = "\x00cb-slot-argsrepr\x00";
    private const KWARGSREPR = "\x00cb-slot-kwargsrepr\x00";
    private const ORIGIN = "\x00cb-slot-origin\x00";
    private const REPLY_TO = "\x00cb-slot-reply-to\x00";

    /** The body after the arguments: Celery's embed with no callbacks, chain or chord. */
    private const BODY_TAIL = ',{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]';

    /**
     * @var array<int, array{string, list<string>, int, string, string}> by delivery mode and
     *      priority (mode << 8 | priority): the bytes before the header table's length, the
     *      table's text around its six slots, the length of that text, and the bytes after the
     *      table (up to the correlation id) and after reply_to
     */
    private static array $templates = [];

    /** @var array<string, mixed>|null ProtocolTwo's headers of a task without options (see headers()) */
    private ?array $headers = null;

    private function __construct(
        private readonly string $origin,
        private readonly string $replyTo,
        private readonly int $deliveryMode,
    ) {
    }

    /**
     * The template for a client whose messages have its shape (protocol 2, JSON, no
     * compression), or null: such a client always takes the general path.
     *
     * @param int $deliveryMode 2 persistent (Celery's default), 1 transient
     */
    public static function forClient(
        string $origin,
        string $replyTo,
        int $protocol,
        string $serializer,
        ?string $compression,
        int $deliveryMode,
    ): ?self {
        return $protocol === 2 && $serializer === 'json' && $compression === null
            ? new self($origin, $replyTo, $deliveryMode)
            : null;
    }

    /**
     * The message without exchange and routing key (the transport routes it), its properties
     * already encoded, or null when the call needs the general path.
     *
     * @param list<mixed> $args
     * @param array<array-key, mixed> $kwargs
     */
    public function message(string $task, string $taskId, array $args, array $kwargs, Delivery $delivery): ?AmqpTaskMessage
    {
        if ($delivery->exchange !== '' || !PlainValues::call($args, $kwargs)) {
            return null;
        }
        try {
            $body = '[' . json_encode($args, PlainTaskEncoder::ENCODE_FLAGS) . ','
                . ($kwargs === [] ? '{}' : json_encode($kwargs, PlainTaskEncoder::ENCODE_FLAGS)) . self::BODY_TAIL;
        } catch (\JsonException) {
            // Invalid UTF-8, NAN, INF...: the general path says what is wrong.
            return null;
        }
        $argsRepr = PlainValues::simpleRepr($args, '[', ']') ?? PythonRepr::args(KombuJson::normalize($args, 'args'));
        $kwargsRepr = $kwargs === [] ? '{}' : PlainValues::simpleRepr($kwargs, '{', '}')
            ?? PythonRepr::kwargs(PlainValues::normalizedKwargs($kwargs));
        [$before, $t, $fixed, $afterTable, $afterReplyTo] = self::$templates[$this->deliveryMode << 8 | $delivery->priority]
            ??= $this->template($delivery->priority);
        $origin = $this->origin;
        $replyTo = $this->replyTo;
        $idLength = pack('N', strlen($taskId));
        $tableLength = pack('N', $fixed + 24 + 2 * strlen($taskId) + strlen($task) + strlen($argsRepr) + strlen($kwargsRepr)
            + strlen($origin));
        $taskLength = pack('N', strlen($task));
        $argsLength = pack('N', strlen($argsRepr));
        $kwargsLength = pack('N', strlen($kwargsRepr));
        $originLength = pack('N', strlen($origin));
        $idShort = chr(strlen($taskId));
        $replyToShort = chr(strlen($replyTo));
        // The slots in template()'s order; the table's length is its fixed text plus the slots.
        // (One interpolated string: PHP builds it in one allocation, not one per concatenation.)
        $encoded = "{$before}{$tableLength}{$t[0]}{$taskLength}{$task}{$t[1]}{$idLength}{$taskId}{$t[2]}{$idLength}{$taskId}"
            . "{$t[3]}{$argsLength}{$argsRepr}{$t[4]}{$kwargsLength}{$kwargsRepr}{$t[5]}{$originLength}{$origin}{$t[6]}"
            . "{$afterTable}{$idShort}{$taskId}{$replyToShort}{$replyTo}{$afterReplyTo}";
        return new AmqpTaskMessage('', '', $this->properties($task, $taskId, $argsRepr, $kwargsRepr, $delivery->priority), $body, $encoded);
    }

    /**
     * The same properties as objects: what ext-amqp is given (it encodes them itself), and what
     * the nack and return handlers read the correlation id from.
     */
    private function properties(string $task, string $taskId, string $argsRepr, string $kwargsRepr, int $priority): BasicProperties
    {
        return new BasicProperties(
            'application/json',
            'utf-8',
            $this->headers($task, $taskId, $argsRepr, $kwargsRepr),
            $this->deliveryMode,
            $priority,
            $taskId,
            $this->replyTo,
        );
    }

    /**
     * The properties with markers in every slot: what the template is cut from.
     */
    private function markedProperties(int $priority): BasicProperties
    {
        $headers = $this->protocolTwoHeaders(self::ORIGIN);
        $headers['stamps'] = new \stdClass();
        return new BasicProperties('application/json', 'utf-8', $headers, $this->deliveryMode, $priority, self::ID, self::REPLY_TO);
    }

    /**
     * @return array<string, mixed> ProtocolTwo's headers of a task without options
     */
    private function headers(string $task, string $taskId, string $argsRepr, string $kwargsRepr): array
    {
        $headers = $this->headers ??= $this->protocolTwoHeaders($this->origin);
        $headers['task'] = $task;
        $headers['id'] = $taskId;
        $headers['root_id'] = $taskId;
        $headers['argsrepr'] = $argsRepr;
        $headers['kwargsrepr'] = $kwargsRepr;
        $headers['stamps'] = new \stdClass();
        return $headers;
    }

    /**
     * @return array<string, mixed> ProtocolTwo's headers of a task without options, with markers in the slots
     */
    private function protocolTwoHeaders(string $origin): array
    {
        return ProtocolTwo::plainHeaders(self::TASK, self::ID, self::ARGSREPR, self::KWARGSREPR, $origin);
    }

    /**
     * The general encoder's bytes for the marker values, cut at the slots.
     *
     * @return array{string, list<string>, int, string, string}
     */
    private function template(int $priority): array
    {
        $properties = $this->markedProperties($priority);
        \assert(is_array($properties->headers));
        $encoded = $properties->encode();
        $table = FieldTable::encode($properties->headers);
        $at = (int) strpos($encoded, $table);
        // The table's entries around the slots: each slot is a long string (length, then bytes).
        $entries = substr($table, 4);
        $text = [];
        $from = 0;
        foreach ([self::TASK, self::ID, self::ID, self::ARGSREPR, self::KWARGSREPR, self::ORIGIN] as $marker) {
            $slot = pack('N', strlen($marker)) . $marker;
            $found = strpos($entries, $slot, $from);
            if ($found === false) {
                throw new \LogicException('ProtocolTwo::headers() changed its order: update AmqpTaskTemplate\'s slots.');
            }
            $text[] = substr($entries, $from, $found - $from);
            $from = $found + strlen($slot);
        }
        $text[] = substr($entries, $from);
        $afterTable = substr($encoded, $at + strlen($table));
        $ids = chr(strlen(self::ID)) . self::ID . chr(strlen(self::REPLY_TO)) . self::REPLY_TO;
        [$afterMode, $afterReplyTo] = explode($ids, $afterTable, 2);
        return [substr($encoded, 0, $at), $text, strlen(implode('', $text)), $afterMode, $afterReplyTo];
    }
}
