<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message;

use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Message\TraceContext;
use PHPUnit\Framework\TestCase;

final class TraceContextTest extends TestCase
{
    private const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    public function testHeadersForOpenTelemetryAndSentry(): void
    {
        $trace = TraceContext::fromTraceparent(self::TRACEPARENT, 'vendor=x', 'sentry-trace_id=4bf92f3577b34da6a3ce929d0e0e4736');

        self::assertSame(
            [
                'traceparent' => self::TRACEPARENT,
                'tracestate' => 'vendor=x',
                'sentry-trace' => '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
                'baggage' => 'sentry-trace_id=4bf92f3577b34da6a3ce929d0e0e4736',
                'headers' => [
                    'sentry-trace' => '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
                    'baggage' => 'sentry-trace_id=4bf92f3577b34da6a3ce929d0e0e4736',
                ],
            ],
            $trace->headers(),
        );
    }

    public function testAnUnsampledTraceStaysUnsampled(): void
    {
        $trace = TraceContext::fromTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');

        self::assertFalse($trace->sampled);
        self::assertSame('4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0', $trace->headers()['sentry-trace']);
    }

    public function testANewTraceHasRandomIds(): void
    {
        $one = TraceContext::start();
        $two = TraceContext::start();

        self::assertMatchesRegularExpression('/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/', $one->traceparent());
        self::assertNotSame($one->traceId, $two->traceId);
        self::assertSame($one->traceparent(), TraceContext::fromTraceparent($one->traceparent())->traceparent());
    }

    /**
     * @return iterable<string, array{string}>
     */
    public static function badTraceparents(): iterable
    {
        yield 'empty' => [''];
        yield 'upper case' => ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'];
        yield 'zero trace id' => ['00-00000000000000000000000000000000-00f067aa0ba902b7-01'];
        yield 'zero span id' => ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'];
        yield 'unknown version' => ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'];
        yield 'short' => ['00-4bf92f35-00f067aa0ba902b7-01'];
        yield 'newline' => [self::TRACEPARENT . "\n"];
    }

    /**
     * @dataProvider badTraceparents
     */
    public function testABadTraceparentIsRefused(string $traceparent): void
    {
        $this->expectException(InvalidOption::class);
        $this->expectExceptionMessage('W3C traceparent');
        TraceContext::fromTraceparent($traceparent);
    }

    public function testAControlCharacterInTracestateIsRefused(): void
    {
        $this->expectException(InvalidOption::class);
        TraceContext::fromTraceparent(self::TRACEPARENT, "a=b\r\nc");
    }
}
