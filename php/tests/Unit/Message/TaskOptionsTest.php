<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message;

use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Message\TaskOptions;
use PHPUnit\Framework\TestCase;

final class TaskOptionsTest extends TestCase
{
    public function testKeepsValidOptionsUnderCeleryNames(): void
    {
        $options = TaskOptions::fromArray([
            'queue' => 'math', 'priority' => 0, 'countdown' => 1.5, 'time_limit' => 10, 'soft_time_limit' => 5,
            'task_id' => 'abc', 'ignore_result' => false, 'headers' => ['x' => 1], 'expires' => null,
        ]);

        self::assertSame('math', $options->queue);
        self::assertSame(0, $options->priority);
        self::assertSame(1.5, $options->countdown);
        self::assertSame(10, $options->timeLimit);
        self::assertFalse($options->ignoreResult);
        self::assertNull($options->expires);
        self::assertFalse($options->has('expires'));
        self::assertSame(['queue' => 'math', 'priority' => 0, 'countdown' => 1.5, 'time_limit' => 10,
            'soft_time_limit' => 5, 'task_id' => 'abc', 'ignore_result' => false, 'headers' => ['x' => 1]], $options->toArray());
    }

    public function testRetryAndRetryPolicyAreCelerysPerCallPublishSettings(): void
    {
        $options = TaskOptions::fromArray(['retry' => false, 'retry_policy' => ['max_retries' => 1, 'interval_start' => 0.5]]);

        self::assertFalse($options->retry);
        self::assertSame(['max_retries' => 1, 'interval_start' => 0.5], $options->retryPolicy);
        self::assertNull(TaskOptions::fromArray([])->retry);
    }

    public function testWithLaysNewValuesOverOldOnes(): void
    {
        $options = TaskOptions::fromArray(['queue' => 'a', 'priority' => 3])->with(['queue' => 'b']);

        self::assertSame('b', $options->queue);
        self::assertSame(3, $options->priority);
    }

    /**
     * @return iterable<string, array{array<string, mixed>, string}>
     */
    public static function invalid(): iterable
    {
        yield 'unknown name' => [['countdwn' => 5], '/Unknown task option "countdwn"\. Did you mean "countdown"\? Known options .*/'];
        yield 'far from any name' => [['zzzzzzzz' => 5], '/Unknown task option "zzzzzzzz"\. Known options/'];
        yield 'retry not bool' => [['retry' => 'no'], '/"retry" has the value "no"; expected true or false/'];
        yield 'retry_policy not an array' => [['retry_policy' => 3], '/"retry_policy" has the value 3; expected an array/'];
        yield 'retry_policy unknown key' => [['retry_policy' => ['max_retry' => 1]], '/"retry_policy\[max_retry\]" .*known: max_retries/'];
        yield 'retry_policy typo' => [
            ['retry_policy' => ['max_retires' => 1]],
            '/"retry_policy\[max_retires\]" .*Did you mean "max_retries"\?/',
        ];
        yield 'retry_policy Python objects' => [['retry_policy' => ['errback' => 'f']], '/takes Python objects/'];
        yield 'retry_policy negative interval' => [['retry_policy' => ['interval_start' => -1]], '/"retry_policy\[interval_start\]" has/'];
        yield 'retry_policy max_retries float' => [['retry_policy' => ['max_retries' => 1.5]], '/"retry_policy\[max_retries\]" has/'];
        yield 'priority too high' => [['priority' => 10], '/"priority" has the value 10; expected an integer from 0 to 9/'];
        yield 'priority negative' => [['priority' => -1], '/"priority" has the value -1/'];
        yield 'priority as string' => [['priority' => '5'], '/"priority" has the value "5"/'];
        yield 'bad eta string' => [['eta' => 'tomorrow'], '/"eta" has the value "tomorrow"; expected a DateTimeInterface or an ISO-8601/'];
        yield 'eta as number' => [['eta' => 1764000000], '/"eta" has the value 1764000000/'];
        yield 'countdown and eta' => [['countdown' => 5, 'eta' => '2026-11-24T00:00:00Z'], '/countdown and eta cannot both be given/'];
        yield 'countdown NAN' => [['countdown' => NAN], '/"countdown" has the value NAN/'];
        yield 'expires text' => [['expires' => 'soon'], '/"expires" has the value "soon"/'];
        yield 'empty queue' => [['queue' => ''], '/"queue" has the value ""; expected a queue name/'];
        yield 'queue with separator' => [['queue' => "a\x06\x16b"], '/"queue" has the value "a\\\\x06\\\\x16b"; expected a queue name/'];
        yield 'time limit zero' => [['time_limit' => 0], '/"time_limit" has the value 0; expected a positive number/'];
        yield 'retries negative' => [['retries' => -1], '/"retries" has the value -1/'];
        yield 'ignore_result not bool' => [['ignore_result' => 1], '/"ignore_result" has the value 1; expected true or false/'];
        yield 'empty task id' => [['task_id' => ''], '/"task_id" has the value ""/'];
        yield 'reserved header' => [['headers' => ['id' => 'x']], '/the header "id" is part of Celery\'s task protocol/'];
        yield 'headers list' => [['headers' => ['a', 'b']], '/"headers" has the value array\(2\)/'];
        yield 'header NAN' => [['headers' => ['x' => NAN]], '/headers\[\'x\'\] is NAN/'];
        yield 'app_id not text' => [['app_id' => ['x']], '/"app_id" has the value .*expected a non-empty UTF-8 string/'];
        yield 'timestamp not whole seconds' => [['timestamp' => 1.5], '/"timestamp" has the value 1.5; expected an integer/'];
        yield 'reply_to with a newline' => [['reply_to' => "a\nb"], '/"reply_to" has the value/'];
        yield 'link not a signature' => [['link' => 'tasks.log'], '/"link" has the value "tasks.log"; expected a canvas /'];
        yield 'unknown serializer' => [['serializer' => 'pickle'], '/"serializer" has the value "pickle"; expected one of json/'];
        yield 'unknown compression' => [['compression' => 'gzencode'], '/"compression" has the value "gzencode"/'];
    }

    /**
     * @dataProvider invalid
     * @param array<string, mixed> $options
     */
    public function testRefusesWithAMessageNamingTheValue(array $options, string $message): void
    {
        try {
            TaskOptions::fromArray($options);
            self::fail('No exception for invalid options.');
        } catch (InvalidOption $e) {
            self::assertInstanceOf(CeleryBridgeException::class, $e);
            self::assertMatchesRegularExpression($message, $e->getMessage());
        }
    }
}
