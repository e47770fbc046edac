<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire\Fixtures;

use CeleryBridge\Wire\Uuid;
use PHPUnit\Framework\Assert;

/** Uuid's held ids and batch size, as a PHP-FPM request's first use of Uuid finds them, and the form of its ids. */
final class UuidState
{
    /** A version-4 UUID, as Python's str(uuid4()) writes it. */
    public const V4 = '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/D';

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
