<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\Describe;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Message\KombuMarker;
use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Result\State;

/**
 * Reads a stored result exactly as Celery's Redis backend wrote it with the json result serializer.
 *
 * Python's json module writes NaN, Infinity and -Infinity as bare tokens and integers of any size;
 * kombu wraps datetime, date, time, Decimal, UUID and bytes in {"__type__", "__value__"} objects;
 * Celery 5.7 may prefix the payload with its result_compression marker. Anything else is refused
 * with CorruptResult instead of being guessed at.
 *
 * @internal
 */
final class ResultDecoder
{
    /** What celery.backends.base.compress_payload() puts in front of a compressed result. */
    public const COMPRESSED_MAGIC = ResultDecompressor::MAGIC;

    /** Python's json module stops near 1000 levels (its recursion limit), so nothing deeper is real. */
    private const MAX_DEPTH = 1100;

    private const KNOWN_FIELDS = [
        'status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id',
        'name', 'args', 'kwargs', 'worker', 'retries', 'queue', 'task_id',
    ];

    private readonly ResultDecompressor $decompressor;

    /**
     * @param int|null $maxSize result_max_size: bytes of stored (and of inflated) JSON; null = no limit
     */
    public function __construct(private readonly ?int $maxSize = null)
    {
        $this->decompressor = new ResultDecompressor($maxSize);
    }

    /**
     * @throws CorruptResult|ResultTooLarge
     */
    public function decode(string $payload, string $taskId): ResultMeta
    {
        if ($this->maxSize !== null && strlen($payload) > $this->maxSize) {
            throw ResultTooLarge::stored($taskId, strlen($payload), $this->maxSize);
        }
        try {
            $meta = $this->decodeValue($this->decompressor->decompress($payload, $taskId));
            return $this->meta($meta, $taskId);
        } catch (\UnexpectedValueException $e) {
            throw CorruptResult::in($taskId, $e->getMessage(), $e->getPrevious());
        }
    }

    /**
     * Decodes Python/kombu JSON text: maps become PHP arrays, kombu markers become values.
     *
     * @throws \UnexpectedValueException
     */
    public function decodeValue(string $json): mixed
    {
        $first = ltrim(substr($json, 0, 64), " \t\r\n");
        if ($first === '' || !in_array($first[0], ['{', '[', '"', '-', 't', 'f', 'n', 'N', 'I'], true) && !ctype_digit($first[0])) {
            throw new \UnexpectedValueException(sprintf(
                'it is not JSON (it starts with %s); CeleryBridge reads the json result_serializer only.',
                self::show(substr($json, 0, 16)),
            ));
        }
        $tokens = [];
        // Bare NaN/Infinity are the only non-JSON tokens Python's encoder emits. They become
        // strings carrying a random nonce, which no stored value can contain, and are turned
        // into floats while walking the decoded value.
        if (str_contains($json, 'NaN') || str_contains($json, 'Infinity')) {
            [$json, $tokens] = self::quoteNonFinite($json);
        }
        try {
            $value = json_decode($json, true, self::MAX_DEPTH, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            if ($e->getCode() !== JSON_ERROR_UTF16) {
                throw new \UnexpectedValueException(sprintf('it is not valid JSON (%s).', $e->getMessage()), 0, $e);
            }
            $value = self::decodeWithLoneSurrogates($json);
        }
        // A marker needs the key __type__: written plainly, or with one of its letters \u-escaped.
        $markers = str_contains($json, '__type__') || preg_match('/\\\\u00(?:5f|65|70|74|79)/i', $json) === 1;
        if (is_array($value) && ($tokens !== [] || $markers)) {
            self::walk($value, $tokens);
        } elseif (is_string($value) && isset($tokens[$value])) {
            $value = $tokens[$value];
        }
        return $value;
    }

    /**
     * @param array<array-key, mixed>|mixed $data
     * @throws \UnexpectedValueException
     */
    private function meta(mixed $data, string $taskId): ResultMeta
    {
        if (!is_array($data) || ($data !== [] && array_is_list($data))) {
            throw new \UnexpectedValueException(sprintf('it is %s, not a JSON object.', self::kind($data)));
        }
        $status = $data['status'] ?? null;
        if (!is_string($status) || $status === '') {
            throw new \UnexpectedValueException('it has no "status" string.');
        }
        $storedId = self::optionalString($data, 'task_id');
        if ($storedId !== null && $storedId !== $taskId) {
            throw new \UnexpectedValueException(sprintf('it belongs to task %s.', self::show($storedId)));
        }
        $traceback = self::optionalString($data, 'traceback');
        $result = $data['result'] ?? null;
        if (State::isException($status)) {
            $result = self::exception($result, $traceback);
        }
        $dateDone = self::optionalString($data, 'date_done');
        $retries = $data['retries'] ?? null;
        if ($retries !== null && !is_int($retries)) {
            throw new \UnexpectedValueException(sprintf('"retries" is %s, not an integer.', self::kind($retries)));
        }
        return new ResultMeta(
            $taskId,
            $status,
            $result,
            $traceback,
            self::children($data['children'] ?? null),
            $dateDone === null ? null : KombuMarker::parseDateTime($dateDone),
            self::optionalString($data, 'group_id'),
            self::optionalString($data, 'parent_id'),
            self::optionalString($data, 'name'),
            $data['args'] ?? null,
            $data['kwargs'] ?? null,
            self::optionalString($data, 'worker'),
            $retries,
            self::optionalString($data, 'queue'),
            array_diff_key($data, array_flip(self::KNOWN_FIELDS)),
        );
    }

    /**
     * Celery turns the result of a FAILURE, RETRY or REVOKED meta back into an exception when it
     * describes one. It may not: `self.retry()` without `exc=` stores RETRY with null, a task may
     * `update_state(state=FAILURE, meta={...})` and then raise Ignore. Those are kept as stored.
     */
    private static function exception(mixed $result, ?string $traceback): mixed
    {
        if (!is_array($result) || !is_string($result['exc_type'] ?? null) || $result['exc_type'] === '') {
            return $result;
        }
        try {
            return ExceptionInfo::fromStored($result, $traceback);
        } catch (\UnexpectedValueException) {
            return $result;
        }
    }

    /**
     * `children` is null or a list of result tuples as Celery's result_to_tuple() writes them:
     * `[[task_id, parent_tuple|null], null]` for a task, `[[group_id, null], [tuple, ...]]` for
     * a group (Celery 4.4 and 5.x alike).
     *
     * @return list<mixed>|null
     */
    private static function children(mixed $children): ?array
    {
        if ($children === null) {
            return null;
        }
        if (!is_array($children) || !array_is_list($children)) {
            throw new \UnexpectedValueException(sprintf('"children" is %s, not a list of results.', self::kind($children)));
        }
        foreach ($children as $child) {
            self::resultTuple($child, 0);
        }
        return $children;
    }

    private static function resultTuple(mixed $tuple, int $depth): void
    {
        $ok = $depth < 64 && is_array($tuple) && count($tuple) === 2 && array_is_list($tuple)
            && is_array($tuple[0]) && array_is_list($tuple[0]) && count($tuple[0]) === 2
            && is_string($tuple[0][0]) && $tuple[0][0] !== '';
        if (!$ok) {
            throw new \UnexpectedValueException(sprintf('"children" holds %s, which is not a result tuple.', self::kind($tuple)));
        }
        if ($tuple[0][1] !== null) {
            self::resultTuple($tuple[0][1], $depth + 1);
        }
        if ($tuple[1] !== null) {
            if (!is_array($tuple[1]) || !array_is_list($tuple[1])) {
                throw new \UnexpectedValueException('"children" holds a group whose members are not a list.');
            }
            foreach ($tuple[1] as $member) {
                self::resultTuple($member, $depth + 1);
            }
        }
    }

    /**
     * @param array<array-key, mixed> $data
     */
    private static function optionalString(array $data, string $field): ?string
    {
        $value = $data[$field] ?? null;
        if ($value !== null && !is_string($value)) {
            throw new \UnexpectedValueException(sprintf('"%s" is %s, not a string.', $field, self::kind($value)));
        }
        return $value;
    }

    /**
     * A Python str may hold a lone surrogate (os.fsdecode() turns bytes that are not UTF-8 into
     * U+DC80..U+DCFF), and Python's json writes and reads it as a \u escape. PHP strings are
     * UTF-8, which cannot hold one: each becomes U+FFFD, as JSON_INVALID_UTF8_SUBSTITUTE does for
     * bad bytes. Escapes are matched left to right, so an escaped backslash is never misread.
     *
     * @throws \UnexpectedValueException
     */
    private static function decodeWithLoneSurrogates(string $json): mixed
    {
        $json = preg_replace_callback(
            '/\\\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[dD][89a-fA-F][0-9a-fA-F]{2}|[^u])/',
            static fn (array $escape): string => strlen($escape[0]) === 6 ? '\\ufffd' : $escape[0],
            $json,
        );
        try {
            return json_decode((string) $json, true, self::MAX_DEPTH, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            throw new \UnexpectedValueException(sprintf('it is not valid JSON (%s).', $e->getMessage()), 0, $e);
        }
    }

    /**
     * Replaces the bare NaN, Infinity and -Infinity tokens outside strings. A linear scan: string
     * literals are skipped with strpos() from quote to quote, so the cost does not depend on
     * their content (a backtracking pattern gave up on long strings full of escapes).
     *
     * @return array{string, array<string, float>}
     */
    private static function quoteNonFinite(string $json): array
    {
        $nonce = "\x00celerybridge-" . bin2hex(random_bytes(12)) . '-';
        $tokens = [$nonce . 'NaN' => NAN, $nonce . 'Infinity' => INF, $nonce . '-Infinity' => -INF];
        $out = '';
        $length = strlen($json);
        $copied = 0;
        $at = 0;
        while (($at += strcspn($json, '"NI', $at)) < $length) {
            if ($json[$at] === '"') {
                $at = self::endOfString($json, $at) + 1;
                continue;
            }
            $token = match (true) {
                substr_compare($json, 'NaN', $at, 3) === 0 => 'NaN',
                substr_compare($json, 'Infinity', $at, 8) === 0 => 'Infinity',
                default => null,
            };
            if ($token === null) {
                // Not JSON at all; json_decode() will say so.
                $at++;
                continue;
            }
            $start = $at > 0 && $json[$at - 1] === '-' ? $at - 1 : $at;
            $out .= substr($json, $copied, $start - $copied)
                . json_encode($nonce . ($start < $at ? '-' : '') . $token, JSON_THROW_ON_ERROR);
            $at += strlen($token);
            $copied = $at;
        }
        return $copied === 0 ? [$json, []] : [$out . substr($json, $copied), $tokens];
    }

    /**
     * The offset of the quote that closes the string literal opening at $open (or the end of
     * the text): the first quote not preceded by an odd number of backslashes.
     */
    private static function endOfString(string $json, int $open): int
    {
        $at = $open;
        while (($at = strpos($json, '"', $at + 1)) !== false) {
            $backslashes = 0;
            while ($json[$at - 1 - $backslashes] === '\\') {
                $backslashes++;
            }
            if ($backslashes % 2 === 0) {
                return $at;
            }
        }
        return strlen($json);
    }

    /**
     * Turns nonce strings into NaN/Infinity and markers into values, in place: the decoded value
     * is modified where it lies instead of copied level by level, so a large result costs no
     * second copy. kombu's object_hook runs bottom-up, so inner values are decoded before the
     * marker that holds them.
     *
     * @param array<array-key, mixed> $value
     * @param array<string, float> $tokens
     */
    private static function walk(array &$value, array $tokens): void
    {
        // Index the array itself (no foreach copy); only a map needs its keys listed.
        $keys = array_is_list($value) ? null : array_keys($value);
        $count = count($value);
        for ($i = 0; $i < $count; $i++) {
            $key = $keys === null ? $i : $keys[$i];
            if (is_array($value[$key])) {
                self::walk($value[$key], $tokens);
            } elseif ($tokens !== [] && is_string($value[$key]) && isset($tokens[$value[$key]])) {
                $value[$key] = $tokens[$value[$key]];
            }
        }
        if ($count === 2 && array_key_exists('__type__', $value) && array_key_exists('__value__', $value)) {
            $value = KombuMarker::decode($value['__type__'], $value['__value__']);
        }
    }

    private static function kind(mixed $value): string
    {
        return Describe::jsonKind($value);
    }

    private static function show(mixed $value): string
    {
        return Describe::value($value);
    }
}
