<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire\Amqp;

use CeleryBridge\Tests\Unit\Wire\Amqp\Fixtures\AmqpCapture;
use CeleryBridge\Wire\Amqp\BasicProperties;
use CeleryBridge\Wire\Amqp\ContentHeader;
use PHPUnit\Framework\TestCase;

/**
 * Golden test: every content header captured between Celery 5.7 (py-amqp 5.4.2) and RabbitMQ
 * 3.10, rebuilt byte for byte from its decoded values. The fixtures come from the capture
 * described in ../shared/amqp (tests/tools/extract_amqp_samples.py copies them): task messages
 * of every publisher case (plain, countdown, eta, expires, priority, routing, custom headers,
 * time limits, canvas, stamps, compression, msgpack, protocol 1, quorum...) and what workers
 * published (pidbox replies, events, results of the rpc backend).
 */
final class CapturedHeadersTest extends TestCase
{
    /**
     * @return iterable<string, array{\stdClass}>
     */
    public static function publishes(): iterable
    {
        foreach (AmqpCapture::publishes() as $publish) {
            yield $publish->header_file => [$publish];
        }
    }

    /**
     * @dataProvider publishes
     */
    public function testTheHeaderIsRebuiltByteForByteFromItsDecodedValues(\stdClass $publish): void
    {
        // Decoded with JSON objects kept as \stdClass: {} is a table, [] an array.
        $properties = BasicProperties::fromArray(get_object_vars($publish->properties));

        $header = ContentHeader::encode($publish->body_len, $properties);

        self::assertSame(bin2hex(AmqpCapture::file($publish->header_file)), bin2hex($header));
        self::assertSame($publish->property_flags, sprintf('0x%04x', unpack('n', $properties->encode())[1]));
    }

    public function testEveryPublisherCaseOfTheCaptureIsCovered(): void
    {
        $cases = array_unique(array_map(static fn (array $p) => $p[0]->case, iterator_to_array(self::publishes())));

        // The capture's 43 publisher cases, less chord3_rpc_backend (Celery refused it: nothing
        // was published), and its 4 worker cases.
        self::assertCount(46, $cases);
        self::assertCount(84, iterator_to_array(self::publishes()));
    }
}
