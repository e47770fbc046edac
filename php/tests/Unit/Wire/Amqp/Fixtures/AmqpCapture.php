<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire\Amqp\Fixtures;

use PHPUnit\Framework\Assert;

/**
 * The AMQP capture in php/tests/fixtures/amqp: what Celery 5.7 (py-amqp 5.4.2) and its workers
 * published to RabbitMQ 3.10, one entry of publishes.json per basic.publish (case, index, method
 * arguments, decoded properties, header_file), each content header and body in a file of its own.
 */
final class AmqpCapture
{
    private const DIR = __DIR__ . '/../../../../fixtures/amqp';

    /**
     * Every publish of the capture, JSON objects kept as \stdClass ({} is a table, [] an array).
     *
     * @return list<\stdClass>
     */
    public static function publishes(): array
    {
        return json_decode(self::file('publishes.json'), false, 512, JSON_THROW_ON_ERROR);
    }

    /** Publish number $index of the capture's case $case. */
    public static function publish(string $case, int $index = 0): \stdClass
    {
        foreach (self::publishes() as $publish) {
            if ($publish->case === $case && $publish->index === $index) {
                return $publish;
            }
        }
        Assert::fail("no captured publish $case.$index");
    }

    /** A file of the capture: a publish's header_file, or its body "<case>.pub<index>.body.bin". */
    public static function file(string $name): string
    {
        return (string) file_get_contents(self::DIR . '/' . $name);
    }
}
