<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

/**
 * A handle on one task's result.
 */
final class AsyncResult
{
    public function __construct(public readonly string $id)
    {
    }
}
