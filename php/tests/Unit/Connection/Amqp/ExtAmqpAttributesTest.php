<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\ExtAmqpAttributes;
use CeleryBridge\Wire\Amqp\BasicProperties;
use CeleryBridge\Wire\Amqp\Decimal;
use PHPUnit\Framework\TestCase;

/**
 * The attributes ext-amqp publishes with, for task messages and for control/event messages
 * alike: PHP arrays only (ext-amqp drops an object), the properties that are not set left out.
 */
final class ExtAmqpAttributesTest extends TestCase
{
    public function testTablesBecomeArraysAndTypesExtAmqpCannotWriteBecomeNumbers(): void
    {
        $at = new \DateTimeImmutable('@1700000000');
        $attributes = ExtAmqpAttributes::of(new BasicProperties(
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            headers: ['stamps' => new \stdClass(), 'reply' => (object) ['ticket' => 't'], 'eta' => $at, 'cost' => new Decimal(125, 2)],
            deliveryMode: 2,
            priority: 0,
            correlationId: 'id-1',
            timestamp: $at,
        ));

        self::assertSame([
            'content_type' => 'application/json',
            'content_encoding' => 'utf-8',
            'headers' => ['stamps' => [], 'reply' => ['ticket' => 't'], 'eta' => 1700000000, 'cost' => 1.25],
            'delivery_mode' => 2,
            'priority' => 0,
            'correlation_id' => 'id-1',
            'timestamp' => 1700000000,
        ], $attributes);
    }

    public function testNoHeadersAreNoHeadersAttribute(): void
    {
        $attributes = ExtAmqpAttributes::of(new BasicProperties(contentType: 'application/json'));
        self::assertSame(['content_type' => 'application/json'], $attributes);
    }
}
