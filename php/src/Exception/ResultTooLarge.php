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
}
