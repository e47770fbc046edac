<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Result\ExceptionInfo;
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
    public const COMPRESSED_MAGIC = "\x00celery-compressed\x00";

    /** Python's json module stops near 1000 levels (its recursion limit), so nothing deeper is real. */
    private const MAX_DEPTH = 1100;

    /** Redis refuses strings above 512 MB, so no honest result inflates beyond that. */
    private const MAX_INFLATED = 536870912;

    private const KNOWN_FIELDS = [
        'status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id',
        'name', 'args', 'kwargs', 'worker', 'retries', 'queue', 'task_id',
    ];

    /**
     * @throws CorruptResult
     */
    public function decode(string $payload, string $taskId): ResultMeta
    {
        try {
            $meta = $this->decodeValue($this->decompress($payload));
            return $this->meta($meta, $taskId);
        } catch (\UnexpectedValueException $e) {
            throw CorruptResult::in($taskId, $e->getMessage(), $e->getPrevious());
        }
    }

    /**
     * Undoes Celery 5.7's result_compression; payloads without the marker pass unchanged.
     *
     * @throws \UnexpectedValueException
     */
    public function decompress(string $payload): string
    {
        if (!str_starts_with($payload, self::COMPRESSED_MAGIC)) {
            return $payload;
        }
        $rest = substr($payload, strlen(self::COMPRESSED_MAGIC));
        $end = strpos($rest, "\x00");
        if ($end === false) {
            throw new \UnexpectedValueException('the result_compression marker is not followed by a content type.');
        }
        $contentType = substr($rest, 0, $end);
        $body = substr($rest, $end + 1);
        // kombu resolves its aliases on the reading side too, so accept them as well.
        [$name, $inflate] = match ($contentType) {
            'application/x-gzip', 'gzip', 'zlib' => ['zlib', 'gzuncompress'],
            'application/x-bz2', 'bzip2', 'bzip' => ['ext-bz2', 'bzdecompress'],
            'application/x-brotli', 'brotli' => ['ext-brotli', 'brotli_uncompress'],
            'application/zstd', 'zstd', 'zstandard' => ['ext-zstd', 'zstd_uncompress'],
            'application/x-lzma', 'lzma', 'xz' => ['an xz extension', ''],
            default => throw new \UnexpectedValueException(sprintf(
                'it is compressed with %s, which is not a compression kombu knows.',
                self::show($contentType),
            )),
        };
        if ($inflate === '' || !function_exists($inflate)) {
            throw new \UnexpectedValueException(sprintf(
                'it is compressed with %s (result_compression), which needs %s in PHP; '
                . 'use zlib or bzip2 as result_compression, or install the extension.',
                $contentType,
                $name,
            ));
        }
        $error = null;
        set_error_handler(static function (int $no, string $message) use (&$error): bool {
            $error = $message;
            return true;
        });
        try {
            $plain = $inflate === 'gzuncompress' ? gzuncompress($body, self::MAX_INFLATED) : $inflate($body);
        } finally {
            restore_error_handler();
        }
        if (!is_string($plain)) {
            throw new \UnexpectedValueException(sprintf(
                'its %s body does not decompress (%s).',
                $contentType,
                $error ?? (is_int($plain) ? 'error ' . $plain : 'bad data'),
            ));
        }
        return $plain;
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
        $tokens = null;
        // Bare NaN/Infinity are the only non-JSON tokens Python's encoder emits. They become
        // strings carrying a random nonce, which no stored value can contain, and are turned
        // into floats while walking the decoded value.
        if (str_contains($json, 'NaN') || str_contains($json, 'Infinity')) {
            [$json, $tokens] = self::quoteNonFinite($json);
        }
        try {
            $value = json_decode($json, true, self::MAX_DEPTH, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            throw new \UnexpectedValueException(sprintf('it is not valid JSON (%s).', $e->getMessage()), 0, $e);
        }
        // A marker needs the key __type__: written plainly, or with one of its letters \u-escaped.
        $markers = str_contains($json, '__type__') || preg_match('/\\\\u00(?:5f|65|70|74|79)/i', $json) === 1;
        if ($tokens !== null || $markers) {
            $value = self::walk($value, $tokens ?? []);
        }
        return $value;
    }

    /**
     * Parses what Python's datetime.fromisoformat() (3.11) accepts in the extended format; a
     * value without an offset (a naive datetime) is read as UTC.
     *
     * @throws \UnexpectedValueException
     */
    public static function parseDateTime(string $text): \DateTimeImmutable
    {
        $pattern = '/^(\d{4})-(\d{2})-(\d{2})(?:[^\d](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?'
            . '(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d{1,6})?)?)?)?)?$/';
        if (preg_match($pattern, $text, $m) !== 1) {
            throw new \UnexpectedValueException(sprintf('%s is not an ISO 8601 datetime.', self::show($text)));
        }
        return self::build(
            (int) $m[1],
            (int) $m[2],
            (int) $m[3],
            (int) ($m[4] ?? 0),
            (int) ($m[5] ?? 0),
            (int) ($m[6] ?? 0),
            $m[7] ?? '',
            $m[8] ?? '',
            $text,
        );
    }

    /**
     * Python's time.fromisoformat(): HH[:MM[:SS[.ffffff]]][offset], placed on 1970-01-01.
     *
     * @throws \UnexpectedValueException
     */
    public static function parseTime(string $text): \DateTimeImmutable
    {
        $pattern = '/^T?(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d{1,6})?)?)?)?$/';
        if (preg_match($pattern, $text, $m) !== 1) {
            throw new \UnexpectedValueException(sprintf('%s is not an ISO 8601 time.', self::show($text)));
        }
        return self::build(1970, 1, 1, (int) $m[1], (int) ($m[2] ?? 0), (int) ($m[3] ?? 0), $m[4] ?? '', $m[5] ?? '', $text);
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
            if (!is_array($result)) {
                throw new \UnexpectedValueException(sprintf(
                    'its state is %s but its result is %s instead of an exception description '
                    . '(a task that calls update_state() with this state must store one).',
                    $status,
                    self::kind($result),
                ));
            }
            $result = ExceptionInfo::fromStored($result, $traceback);
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
            $data['children'] ?? null,
            $dateDone === null ? null : self::parseDateTime($dateDone),
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
     * @return array{string, array<string, float>}
     */
    private static function quoteNonFinite(string $json): array
    {
        $nonce = "\x00celerybridge-" . bin2hex(random_bytes(12)) . '-';
        $tokens = [$nonce . 'NaN' => NAN, $nonce . 'Infinity' => INF, $nonce . '-Infinity' => -INF];
        // Strings are matched first and given back unchanged, so only bare tokens are replaced.
        $quoted = preg_replace_callback(
            '/"[^"\\\\]*+(?:\\\\.[^"\\\\]*+)*+"|-?Infinity|NaN/s',
            static fn (array $m): string => $m[0][0] === '"' ? $m[0] : json_encode($nonce . $m[0], JSON_THROW_ON_ERROR),
            $json,
        );
        if ($quoted === null) {
            throw new \UnexpectedValueException(sprintf('it could not be scanned (%s).', preg_last_error_msg()));
        }
        return [$quoted, $tokens];
    }

    /**
     * @param array<string, float> $tokens
     */
    private static function walk(mixed $value, array $tokens): mixed
    {
        if (is_string($value)) {
            return $tokens !== [] && isset($tokens[$value]) ? $tokens[$value] : $value;
        }
        if (!is_array($value)) {
            return $value;
        }
        // kombu's object_hook runs bottom-up, so inner values are decoded before the marker itself.
        foreach ($value as $key => $item) {
            if (is_array($item) || is_string($item)) {
                $value[$key] = self::walk($item, $tokens);
            }
        }
        if (count($value) === 2 && array_key_exists('__type__', $value) && array_key_exists('__value__', $value)) {
            return self::marker($value['__type__'], $value['__value__']);
        }
        return $value;
    }

    private static function marker(mixed $type, mixed $value): mixed
    {
        return match ($type) {
            'datetime' => self::parseDateTime(self::markerString('datetime', $value)),
            'date' => self::dateOnly(self::parseDateTime(self::markerString('date', $value))),
            'time' => self::parseTime(self::markerString('time', $value)),
            'decimal' => self::decimal($value),
            'uuid' => self::uuid($value),
            'bytes' => self::markerString('bytes', $value),
            'base64' => self::base64(self::markerString('base64', $value)),
            default => throw new \UnexpectedValueException(sprintf(
                'it contains a kombu type marker of unknown type %s (kombu itself refuses it too).',
                self::show($type),
            )),
        };
    }

    private static function markerString(string $type, mixed $value): string
    {
        if (!is_string($value)) {
            throw new \UnexpectedValueException(sprintf('a "%s" marker holds %s instead of a string.', $type, self::kind($value)));
        }
        return $value;
    }

    private static function dateOnly(\DateTimeImmutable $moment): \DateTimeImmutable
    {
        return self::build((int) $moment->format('Y'), (int) $moment->format('n'), (int) $moment->format('j'), 0, 0, 0, '', '', '');
    }

    private static function decimal(mixed $value): string
    {
        if (is_int($value)) {
            return (string) $value;
        }
        $text = trim(self::markerString('decimal', $value));
        // The syntax Python's Decimal() accepts, underscores between digits included.
        $digits = '\d+(?:_\d+)*';
        $pattern = "/^[+-]?(?:(?:$digits(?:\\.(?:$digits)?)?|\\.$digits)(?:e[+-]?$digits)?|inf(?:inity)?|s?nan\\d*)$/i";
        if (preg_match($pattern, $text) !== 1) {
            throw new \UnexpectedValueException(sprintf('a "decimal" marker holds %s, which is not a decimal.', self::show($text)));
        }
        return $text;
    }

    private static function uuid(mixed $value): string
    {
        $hex = is_array($value) && count($value) === 1 ? ($value['hex'] ?? null) : null;
        if (!is_string($hex)) {
            throw new \UnexpectedValueException('a "uuid" marker does not hold {"hex": "<32 hex digits>"}.');
        }
        // uuid.UUID(hex=...) drops these decorations before counting digits.
        $bare = str_replace(['urn:', 'uuid:', '{', '}', '-'], '', strtolower($hex));
        if (preg_match('/^[0-9a-f]{32}$/', $bare) !== 1) {
            throw new \UnexpectedValueException(sprintf('a "uuid" marker holds %s, which is not a UUID.', self::show($hex)));
        }
        return sprintf(
            '%s-%s-%s-%s-%s',
            substr($bare, 0, 8),
            substr($bare, 8, 4),
            substr($bare, 12, 4),
            substr($bare, 16, 4),
            substr($bare, 20),
        );
    }

    private static function base64(string $text): string
    {
        // base64.b64decode() without validate=True skips characters outside the alphabet.
        $clean = (string) preg_replace('#[^A-Za-z0-9+/=]#', '', $text);
        $bytes = base64_decode($clean, true);
        if ($bytes === false || strlen(rtrim($clean, '=')) % 4 === 1) {
            throw new \UnexpectedValueException(sprintf('a "base64" marker holds %s, which is not base64.', self::show($text)));
        }
        return $bytes;
    }

    private static function build(
        int $year,
        int $month,
        int $day,
        int $hour,
        int $minute,
        int $second,
        string $fraction,
        string $offset,
        string $text,
    ): \DateTimeImmutable {
        if ($year < 1 || !checkdate($month, $day, $year) || $hour > 23 || $minute > 59 || $second > 59) {
            throw new \UnexpectedValueException(sprintf('%s is not a valid date and time.', self::show($text)));
        }
        $zone = new \DateTimeZone(self::offset($offset, $text));
        $micro = (int) str_pad(substr($fraction, 0, 6), 6, '0');
        $moment = \DateTimeImmutable::createFromFormat(
            '!Y-m-d H:i:s.u',
            sprintf('%04d-%02d-%02d %02d:%02d:%02d.%06d', $year, $month, $day, $hour, $minute, $second, $micro),
            $zone,
        );
        if ($moment === false) {
            throw new \UnexpectedValueException(sprintf('%s is not a valid date and time.', self::show($text)));
        }
        return $moment;
    }

    private static function offset(string $offset, string $text): string
    {
        if ($offset === '' || $offset === 'Z') {
            return 'UTC';
        }
        $digits = str_replace(':', '', $offset);
        $hours = (int) substr($digits, 1, 2);
        $minutes = (int) (substr($digits, 3, 2) ?: '0');
        $seconds = (int) (substr($digits, 5, 2) ?: '0');
        if ($hours > 23 || $minutes > 59 || $seconds > 59) {
            throw new \UnexpectedValueException(sprintf('%s has an invalid UTC offset.', self::show($text)));
        }
        // PHP time zones have whole-second offsets; Python allows microseconds there, never used.
        $zone = sprintf('%s%02d:%02d', $digits[0], $hours, $minutes);
        return $seconds === 0 ? $zone : sprintf('%s:%02d', $zone, $seconds);
    }

    private static function kind(mixed $value): string
    {
        return match (true) {
            is_array($value) => $value === [] || !array_is_list($value) ? 'a JSON object' : 'a JSON array',
            is_string($value) => 'a string',
            default => get_debug_type($value),
        };
    }

    private static function show(mixed $value): string
    {
        return \CeleryBridge\Exception\Describe::value($value);
    }
}
