<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire\Amqp;

use CeleryBridge\Exception\SerializationFailed;
use CeleryBridge\Wire\Amqp\BasicProperties;
use CeleryBridge\Wire\Amqp\BasicPublish;
use CeleryBridge\Wire\Amqp\ContentHeader;
use PHPUnit\Framework\TestCase;

final class BasicPropertiesTest extends TestCase
{
    public function testNoPropertyIsAZeroFlagWord(): void
    {
        self::assertSame('0000', bin2hex((new BasicProperties())->encode()));
    }

    public function testFlagsFollowTheFixedOrderFromBit15(): void
    {
        // content_type is bit 15, cluster_id bit 2; bits 1 and 0 stay clear (no continuation).
        $all = new BasicProperties(
            contentType: 'a',
            contentEncoding: 'b',
            headers: [],
            deliveryMode: 2,
            priority: 9,
            correlationId: 'c',
            replyTo: 'd',
            expiration: '1000',
            messageId: 'e',
            timestamp: 1_700_000_000,
            type: 'f',
            userId: 'guest',
            appId: 'g',
            clusterId: 'h',
        );

        self::assertSame(
            'fffc' . '0161' . '0162' . '00000000' . '02' . '09' . '0163' . '0164' . '0431303030' . '0165'
            . '000000006553f100' . '0166' . '056775657374' . '0167' . '0168',
            bin2hex($all->encode()),
        );
        self::assertSame('0100' . '0130', bin2hex((new BasicProperties(expiration: '0'))->encode()));
        self::assertSame('0004' . '0178', bin2hex((new BasicProperties(clusterId: 'x'))->encode()));
    }

    public function testZeroAndEmptyValuesAreSentOnlyNullIsLeftOut(): void
    {
        // Celery's default route gives priority 0, which is written; an explicit queue= gives None.
        self::assertSame('0800' . '00', bin2hex((new BasicProperties(priority: 0))->encode()));
        self::assertSame('8000' . '00', bin2hex((new BasicProperties(contentType: ''))->encode()));
    }

    public function testFromArrayTakesPyAmqpsNamesAndRefusesKombusRedisOnlyOnes(): void
    {
        $properties = BasicProperties::fromArray([
            'content_type' => 'application/json',
            'application_headers' => ['task' => 't'],
            'priority' => 3,
        ]);
        self::assertSame('application/json', $properties->contentType);
        self::assertSame(['task' => 't'], $properties->headers);
        self::assertSame(3, $properties->priority);

        $this->expectException(SerializationFailed::class);
        $this->expectExceptionMessage('"delivery_info" is not an AMQP basic property');
        BasicProperties::fromArray(['delivery_info' => ['exchange' => '', 'routing_key' => 'celery']]);
    }

    public function testFromArrayRefusesAValueOfTheWrongType(): void
    {
        $this->expectException(SerializationFailed::class);
        $this->expectExceptionMessage('An AMQP basic property has a value of the wrong type');

        BasicProperties::fromArray(['priority' => '7']);
    }

    /**
     * @return iterable<string, array{BasicProperties, string}>
     */
    public static function unencodable(): iterable
    {
        yield 'priority over an octet' => [new BasicProperties(priority: 256), 'The AMQP property priority 256 is out of range'];
        yield 'negative delivery mode' => [new BasicProperties(deliveryMode: -1), 'property delivery_mode -1'];
        yield 'long correlation id' => [
            new BasicProperties(correlationId: str_repeat('x', 256)),
            'The AMQP property correlation_id "xxx',
        ];
        yield 'timestamp before the epoch' => [new BasicProperties(timestamp: -1), 'The AMQP property timestamp -1 is negative'];
    }

    /**
     * @dataProvider unencodable
     */
    public function testAValueTheFieldCannotHoldIsRefusedNotTruncated(BasicProperties $properties, string $message): void
    {
        $this->expectException(SerializationFailed::class);
        $this->expectExceptionMessage($message);

        $properties->encode();
    }

    public function testContentHeaderPayload(): void
    {
        $header = ContentHeader::encode(81, new BasicProperties(deliveryMode: 2));

        // class 60, weight 0, body size (64-bit), flags, delivery_mode.
        self::assertSame('003c' . '0000' . '0000000000000051' . '1000' . '02', bin2hex($header));
    }

    public function testBasicPublishPayload(): void
    {
        // class 60 method 40, ticket 0, exchange "", routing key "celery", bits.
        self::assertSame('003c0028' . '0000' . '00' . '0663656c657279' . '00', bin2hex(BasicPublish::encode('', 'celery')));
        self::assertSame(
            '003c0028' . '0000' . '056d65646961' . '076d656469612e23' . '01',
            bin2hex(BasicPublish::encode('media', 'media.#', mandatory: true)),
        );
    }

    public function testBasicPublishRefusesARoutingKeyOver255Bytes(): void
    {
        $this->expectException(SerializationFailed::class);
        $this->expectExceptionMessage('The AMQP routing key');

        BasicPublish::encode('', str_repeat('q', 256));
    }
}
