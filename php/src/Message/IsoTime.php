<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

/**
 * Parses the ISO-8601 strings a Celery worker accepts for eta/expires, and nothing looser.
 *
 * The worker reads these with dateutil's isoparse, which rejects PHP-isms like "tomorrow" or
 * "+1 day" and a space before the offset; a value it rejects makes it drop the message. A string
 * without an offset is read as UTC by every 5.x worker, so we read it as UTC too.
 *
 * @internal
 */
final class IsoTime
{
    private const PATTERN = '/^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?'
        . '(Z|[+-]\d{2}(?::?\d{2})?)?)?$/D';

    public static function parse(string $text): ?\DateTimeImmutable
    {
        if (preg_match(self::PATTERN, $text, $m) !== 1) {
            return null;
        }
        [$year, $month, $day] = [(int) $m[1], (int) $m[2], (int) $m[3]];
        [$hour, $minute, $second] = [(int) ($m[4] ?? 0), (int) ($m[5] ?? 0), (int) (($m[6] ?? '') ?: 0)];
        if (!checkdate($month, $day, $year) || $hour > 23 || $minute > 59 || $second > 59) {
            return null;
        }
        $micro = substr(str_pad($m[7] ?? '', 6, '0'), 0, 6);
        $offset = $m[8] ?? '';
        $zone = match (true) {
            $offset === '' || $offset === 'Z' => '+00:00',
            strlen($offset) === 3 => $offset . ':00',
            !str_contains($offset, ':') => substr($offset, 0, 3) . ':' . substr($offset, 3),
            default => $offset,
        };
        $time = \DateTimeImmutable::createFromFormat(
            'Y-m-d H:i:s.u P',
            sprintf('%04d-%02d-%02d %02d:%02d:%02d.%s %s', $year, $month, $day, $hour, $minute, $second, $micro, $zone),
        );
        return $time === false ? null : $time;
    }
}
