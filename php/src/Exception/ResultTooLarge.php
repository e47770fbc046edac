<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A stored result is larger than the client's result_max_size: it was not read, so that one
 * huge (or maliciously compressed) value cannot exhaust PHP's memory_limit.
 */
final class ResultTooLarge extends \RuntimeException implements CeleryBridgeException
{
    private function __construct(string $message, public readonly string $taskId, public readonly int $limit)
    {
        parent::__construct($message);
    }

    public static function stored(string $taskId, int $size, int $limit): self
    {
        return new self(sprintf(
            'The stored result of task "%s" is %d bytes, more than result_max_size (%d bytes). Raise '
            . 'result_max_size (and memory_limit: decoding takes several times the size) to read it.',
            Describe::text($taskId, 80),
            $size,
            $limit,
        ), $taskId, $limit);
    }

    public static function inflated(string $taskId, int $limit): self
    {
        return new self(sprintf(
            'The stored result of task "%s" decompresses to more than result_max_size (%d bytes); it was '
            . 'not inflated further. Raise result_max_size (and memory_limit) if the result is genuine.',
            Describe::text($taskId, 80),
            $limit,
        ), $taskId, $limit);
    }

    /**
     * Decoding the JSON would cost more memory than result_max_size allows for it (4 times its
     * size) or than is left under memory_limit: it was not decoded.
     */
    public static function decoding(string $taskId, int $jsonBytes, int $estimate, int $limit, bool $byMemoryLimit): self
    {
        $mb = static fn (int $bytes): string => sprintf('%.1f MB', $bytes / 1048576);
        return new self(sprintf(
            'The stored result of task "%s" (%d bytes of JSON) would take about %s of PHP memory to decode, '
            . 'more than %s. %s',
            Describe::text($taskId, 80),
            $jsonBytes,
            $mb($estimate),
            $byMemoryLimit
                ? sprintf('the %s left under memory_limit (%s)', $mb($limit), (string) ini_get('memory_limit'))
                : sprintf('the %s result_max_size allows for decoding (4 times its %d bytes)', $mb($limit), intdiv($limit, 4)),
            $byMemoryLimit
                ? 'Raise memory_limit to read it.'
                : 'Raise result_max_size (and memory_limit) if the result is genuine.',
        ), $taskId, $limit);
    }

    /**
     * The result's children (or a saved group's members) are too many to make handles for within
     * what is left under memory_limit (less a margin).
     */
    public static function handles(string $taskId, int $count, int $estimate, int $left): self
    {
        return new self(sprintf(
            'The stored result of task "%s" lists %d results; their handles would take about %.1f MB of PHP '
            . 'memory, more than the %.1f MB left under memory_limit (%s). Raise memory_limit to read them.',
            Describe::text($taskId, 80),
            $count,
            $estimate / 1048576,
            $left / 1048576,
            (string) ini_get('memory_limit'),
        ), $taskId, $left);
    }
}
