<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\RetryPolicyReader;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidConfiguration;
use PHPUnit\Framework\TestCase;

final class RetryPolicyTest extends TestCase
{
    public function testCeleryDefaults(): void
    {
        $policy = RetryPolicyReader::fromConfig([]);

        self::assertTrue($policy->enabled);
        self::assertSame(3, $policy->maxRetries);
        self::assertEquals(RetryPolicy::celeryDefault(), $policy);
        // kombu's fxrange(interval_start, interval_start + interval_max, interval_step), last repeated.
        self::assertEqualsWithDelta([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.0], array_map($policy->delay(...), range(0, 6)), 1e-9);
        self::assertTrue($policy->allows(2));
        self::assertFalse($policy->allows(3));
    }

    public function testWorkBeforeThePublishIsRetriedAsThePolicyAllowsThenTheLastFailureGoesUp(): void
    {
        $policy = new RetryPolicy(true, 2, 0.0, 0.0, 0.0);
        $heard = [];
        $onRetry = function (ConnectionFailed $e, int $retry, float $delay) use (&$heard): void {
            $heard[] = [$e->getMessage(), $retry, $delay];
        };
        $calls = 0;
        $done = $policy->retryUnpublished(function () use (&$calls): string {
            if (++$calls < 3) {
                throw ConnectionFailed::because('127.0.0.1:5672', "refused $calls");
            }
            return 'declared';
        }, $onRetry);
        self::assertSame('declared', $done);
        self::assertSame(3, $calls);
        self::assertCount(2, $heard);
        self::assertSame([1, 2], array_column($heard, 1));

        $refused = ConnectionFailed::because('127.0.0.1:5672', 'refused');
        self::assertSame(3, self::attemptsUntilThrown($policy, $refused), 'the first and max_retries (2) retries');
        // The same credentials are refused again: not retried.
        $rejected = AuthenticationFailed::required('127.0.0.1:5672', 'ACCESS_REFUSED');
        self::assertSame(1, self::attemptsUntilThrown($policy, $rejected));
    }

    public function testWorkBeforeThePublishSaysItGaveUpAndStopsAtTaskPublishTimeout(): void
    {
        $refused = ConnectionFailed::because('127.0.0.1:5672', 'refused');
        self::assertSame(3, self::attemptsUntilThrown(new RetryPolicy(true, 2, 0.0, 0.0, 0.0), $refused));
        self::assertStringContainsString('Gave up after 3 attempts in', $refused->getMessage());
        self::assertStringContainsString('(task_publish_retry_policy); the message was not queued.', $refused->getMessage());

        // Retries without end, 0.05 s apart, but task_publish_timeout 0.12 s: about three attempts.
        $late = ConnectionFailed::because('127.0.0.1:5672', 'refused');
        $attempts = self::attemptsUntilThrown(new RetryPolicy(true, null, 0.05, 0.0, 0.0, 0.12), $late);
        self::assertGreaterThanOrEqual(2, $attempts);
        self::assertLessThanOrEqual(3, $attempts);
        self::assertStringContainsString('(task_publish_timeout); the message was not queued.', $late->getMessage());

        // Not retried at all: the failure goes up as it was.
        $once = ConnectionFailed::because('127.0.0.1:5672', 'refused');
        self::assertSame(1, self::attemptsUntilThrown(RetryPolicy::never(), $once));
        self::assertStringNotContainsString('Gave up', $once->getMessage());
    }

    /** How many times retryUnpublished() ran an attempt that always throws $failure, which goes up. */
    private static function attemptsUntilThrown(RetryPolicy $policy, ConnectionFailed $failure): int
    {
        $calls = 0;
        try {
            $policy->retryUnpublished(function () use (&$calls, $failure): void {
                $calls++;
                throw $failure;
            });
            self::fail('no exception');
        } catch (ConnectionFailed $e) {
            self::assertSame($failure, $e);
        }
        return $calls;
    }

    public function testCustomPolicy(): void
    {
        $policy = RetryPolicyReader::fromConfig(['task_publish_retry_policy' => [
            'max_retries' => 5, 'interval_start' => 1, 'interval_step' => 0.5, 'interval_max' => 1.2,
        ]]);

        self::assertEqualsWithDelta([1.0, 1.5, 2.0, 2.0], array_map($policy->delay(...), range(0, 3)), 1e-9);
        self::assertTrue($policy->allows(4));
        self::assertFalse($policy->allows(5));
    }

    public function testNullMaxRetriesRetriesForeverAsCelery(): void
    {
        $policy = RetryPolicyReader::fromConfig(['task_publish_retry_policy' => ['max_retries' => null]]);

        self::assertTrue($policy->allows(1000));
    }

    public function testACallsRetryPolicyIsLaidOverTheConfiguredOneAsCeleryMergesThem(): void
    {
        $configured = RetryPolicyReader::fromConfig([
            'task_publish_retry_policy' => ['max_retries' => 5, 'interval_step' => 0.5],
            'task_publish_timeout' => 2.0,
        ]);

        $call = $configured->forCall(null, ['max_retries' => 1, 'interval_start' => 0.1]);
        self::assertEquals(new RetryPolicy(true, 1, 0.1, 0.5, 1.0, 2.0), $call);
        self::assertFalse($configured->forCall(false, [])->allows(0));
        self::assertTrue(RetryPolicyReader::fromConfig(['task_publish_retry' => false])->forCall(true, [])->allows(2));
        self::assertNull($configured->forCall(null, ['max_retries' => null])->maxRetries);
    }

    public function testRetryOff(): void
    {
        self::assertFalse(RetryPolicyReader::fromConfig(['task_publish_retry' => false])->allows(0));
    }

    /**
     * @return iterable<string, array{array<string, mixed>, string}>
     */
    public static function invalid(): iterable
    {
        yield 'unknown key' => [['task_publish_retry_policy' => ['max_retry' => 3]], 'task_publish_retry_policy[max_retry]'];
        yield 'typo' => [
            ['task_publish_retry_policy' => ['interval_stpe' => 1]],
            '[interval_stpe]" has the value 1; unknown key; known: max_retries, interval_start, interval_step, interval_max. '
            . 'Did you mean "interval_step"?',
        ];
        yield 'python objects' => [['task_publish_retry_policy' => ['retry_errors' => []]], 'connection failures only'];
        yield 'negative' => [['task_publish_retry_policy' => ['interval_step' => -1]], 'interval_step'];
        yield 'string' => [['task_publish_retry_policy' => ['max_retries' => '3']], 'max_retries'];
        yield 'not bool' => [['task_publish_retry' => 'yes'], 'task_publish_retry'];
    }

    /**
     * @dataProvider invalid
     * @param array<string, mixed> $config
     */
    public function testInvalidSettingsAreNamed(array $config, string $named): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage($named);
        RetryPolicyReader::fromConfig($config);
    }
}
