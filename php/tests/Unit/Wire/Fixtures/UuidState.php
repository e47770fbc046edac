<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire\Fixtures;

use CeleryBridge\Wire\Uuid;
use PHPUnit\Framework\Assert;

/** Uuid's held ids and batch size, as a PHP-FPM request's first use of Uuid finds them. */
final class UuidState
{
    /** As in a new process: no ids held, the first batch not made. */
    public static function reset(): void
    {
        $class = new \ReflectionClass(Uuid::class);
        foreach (['ids', 'batch'] as $name) {
            $property = $class->getProperty($name);
            $property->setValue(null, $property->getDefaultValue());
        }
    }

    /** One batch made (one read of the random source) and every id of it taken. */
    public static function assertFirstBatchTaken(): void
    {
        $class = new \ReflectionClass(Uuid::class);
        Assert::assertSame([], $class->getProperty('ids')->getValue());
        Assert::assertSame(4, $class->getProperty('batch')->getValue(), 'one batch made');
    }
}
