<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Wire\PlainText;

/**
 * A trace to continue in the worker: the W3C trace context of the PHP span that sends a task,
 * as message headers the worker-side instrumentations read.
 *
 * - OpenTelemetry's Celery instrumentation reads a top-level "traceparent" (and "tracestate")
 *   header, which Celery copies onto the task's request;
 * - sentry-sdk's Celery integration reads "sentry-trace" and "baggage" from the nested
 *   "headers" object of the message headers (sentry-sdk's own client writes them there and at
 *   the top level; so does this).
 *
 * Use it with the "headers" option, or for every task with a before-publish hook:
 *
 *     $celery->beforePublish(fn () => TraceContext::fromTraceparent($traceparent)->headers());
 */
final class TraceContext
{
    private function __construct(
        public readonly string $traceId,
        public readonly string $spanId,
        public readonly bool $sampled,
        public readonly ?string $tracestate,
        public readonly ?string $baggage,
    ) {
    }

    /**
     * From a W3C traceparent, "00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>", as
     * OpenTelemetry's propagator writes it (e.g. TraceContextPropagator::inject() into an array).
     *
     * @throws InvalidOption
     */
    public static function fromTraceparent(string $traceparent, ?string $tracestate = null, ?string $baggage = null): self
    {
        if (
            preg_match('/^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\z/', $traceparent, $m) !== 1
            || $m[1] === str_repeat('0', 32) || $m[2] === str_repeat('0', 16)
        ) {
            throw InvalidOption::invalid('traceparent', $traceparent, 'expected a W3C traceparent, '
                . '"00-<32 lower-case hex trace id>-<16 hex span id>-<2 hex flags>", with non-zero ids.');
        }
        foreach (['tracestate' => $tracestate, 'baggage' => $baggage] as $name => $value) {
            if ($value !== null && (!mb_check_encoding($value, 'UTF-8') || PlainText::hasControl($value))) {
                throw InvalidOption::invalid($name, $value, 'expected a header value without control characters.');
            }
        }
        return new self($m[1], $m[2], (hexdec($m[3]) & 1) === 1, $tracestate, $baggage);
    }

    /**
     * A new trace, with random ids: for an application without a tracer that still wants its
     * tasks' spans to share one trace id it can log.
     */
    public static function start(bool $sampled = true): self
    {
        return new self(bin2hex(random_bytes(16)), bin2hex(random_bytes(8)), $sampled, null, null);
    }

    public function traceparent(): string
    {
        return sprintf('00-%s-%s-%s', $this->traceId, $this->spanId, $this->sampled ? '01' : '00');
    }

    /** Sentry's form of the same context: "<trace id>-<span id>-<1|0>". */
    public function sentryTrace(): string
    {
        return sprintf('%s-%s-%d', $this->traceId, $this->spanId, $this->sampled ? 1 : 0);
    }

    /**
     * The message headers that continue this trace in the worker.
     *
     * @return array<string, mixed>
     */
    public function headers(): array
    {
        $sentry = ['sentry-trace' => $this->sentryTrace()];
        if ($this->baggage !== null) {
            $sentry['baggage'] = $this->baggage;
        }
        $headers = ['traceparent' => $this->traceparent()];
        if ($this->tracestate !== null) {
            $headers['tracestate'] = $this->tracestate;
        }
        return $headers + $sentry + ['headers' => $sentry];
    }
}
