<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Message\AmqpTaskMessage;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Tests\Unit\Wire\Amqp\Fixtures\AmqpCapture;
use CeleryBridge\Wire\BodyEncoder;
use PHPUnit\Framework\TestCase;

/**
 * A message MessageBuilder builds today, mapped to AMQP, has the properties and header table
 * Celery 5.7 sent in the captured samples (php/tests/fixtures/amqp), byte for byte. Ids, the
 * reply_to oid, the origin and the clock are taken from the capture; argsrepr is given as
 * "(2, 3)" because the capture called add.delay(2, 3) (a tuple), where send_task() writes a list.
 *
 * The body is compared as JSON: Python's json.dumps writes ", " and ": " separators, we write
 * none (both decode alike on every worker), so the body size in the content header differs.
 */
final class AmqpTaskMessageTest extends TestCase
{
    private const ADD = ['argsrepr' => '(2, 3)', 'ignore_result' => false];

    /**
     * @return iterable<string, array{string, string, list<mixed>, array<string, mixed>, ?Delivery}>
     */
    public static function cases(): iterable
    {
        yield 'plain_args' => ['plain_args', 'amqp_tasks.add', [2, 3], self::ADD, null];
        $kwargs = ['kwargs' => ['x' => 2, 'y' => 3], 'argsrepr' => '()', 'ignore_result' => false];
        yield 'kwargs' => ['kwargs', 'amqp_tasks.add', [], $kwargs, null];
        $eta = new \DateTimeImmutable('2030-01-02T03:04:05.678901Z');
        yield 'eta' => ['eta', 'amqp_tasks.add', [2, 3], self::ADD + ['eta' => $eta], null];
        yield 'countdown' => ['countdown', 'amqp_tasks.add', [2, 3], self::ADD + ['countdown' => 60], null];
        yield 'expires_seconds' => ['expires_seconds', 'amqp_tasks.add', [2, 3], self::ADD + ['expires' => 300], null];
        yield 'priority_7' => ['priority_7', 'amqp_tasks.add', [2, 3], self::ADD, new Delivery('celery', 7)];
        // apply_async(queue='other'): Celery sends no priority property then.
        yield 'queue_other' => ['queue_other', 'amqp_tasks.add', [2, 3], self::ADD, new Delivery('other')];
        yield 'shadow' => ['shadow', 'amqp_tasks.add', [2, 3], self::ADD + ['shadow' => 'add-shadow-name'], null];
        $limits = ['time_limit' => 30, 'soft_time_limit' => 20];
        yield 'time_limits' => ['time_limits', 'amqp_tasks.add', [2, 3], self::ADD + $limits, null];
        yield 'time_limits_float' => ['time_limits_float', 'amqp_tasks.add', [2, 3], self::ADD + ['time_limit' => 1.5], null];
        // Celery's retry path sends ignore_result None, as send_task() does.
        yield 'retries' => ['retries', 'amqp_tasks.add', [2, 3], ['argsrepr' => '(2, 3)', 'retries' => 3], null];
        yield 'ignore_result' => ['ignore_result', 'amqp_tasks.add', [2, 3], ['ignore_result' => true] + self::ADD, null];
        // send_task() itself: a list argsrepr and ignore_result None.
        yield 'send_task_unregistered' => [
            'send_task_unregistered', 'php.not.registered', [1], ['kwargs' => ['a' => 2]], null,
        ];
        $unicode = ['argsrepr' => "('héllo', '✓')", 'ignore_result' => false];
        yield 'unicode_args' => ['unicode_args', 'amqp_tasks.add', ['héllo', '✓'], $unicode, null];
        yield 'stamped_headers' => ['stamped_headers', 'amqp_tasks.add', [2, 3], self::ADD + ['stamps' => ['mystamp' => 'v1']], null];
        yield 'custom_headers' => ['custom_headers', 'amqp_tasks.add', [2, 3], self::ADD + ['headers' => [
            'x-trace' => 'abc', 'n' => 5, 'flag' => true, 'ratio' => 0.5, 'nothing' => null,
            'lst' => [1, 'a', null], 'nested' => ['a' => 1], 'big' => 1099511627776, 'neg' => -7,
        ]], null];
        yield 'group3 member' => ['group3', 'amqp_tasks.add', [0, 0], [
            'argsrepr' => '(0, 0)', 'ignore_result' => false,
            'group_id' => '20a56146-cc39-476c-b270-7a1e80daf602', 'group_index' => 0,
        ], null];
    }

    /**
     * @dataProvider cases
     * @param list<mixed> $args
     * @param array<string, mixed> $options
     */
    public function testPropertiesAndHeaderTableAreCelerysBytes(
        string $case,
        string $task,
        array $args,
        array $options,
        ?Delivery $delivery,
    ): void {
        $captured = AmqpCapture::publish($case);
        $id = $captured->properties->headers->id;
        $kwargs = $options['kwargs'] ?? [];
        unset($options['kwargs']);
        // The capture's clock: countdown or expires seconds before the eta or expires it wrote.
        $headers = $captured->properties->headers;
        $now = match (true) {
            isset($options['countdown']) => (new \DateTimeImmutable($headers->eta))->modify("-{$options['countdown']} seconds"),
            isset($options['expires']) => (new \DateTimeImmutable($headers->expires))->modify("-{$options['expires']} seconds"),
            default => new \DateTimeImmutable('2026-12-05T06:56:00Z'),
        };
        $builder = new MessageBuilder($captured->properties->headers->origin, $captured->properties->reply_to);
        $message = $builder->build(new Signature($task, $args, $kwargs, $options), $id, $delivery ?? new Delivery('celery'), $now, 'tag');

        $amqp = AmqpTaskMessage::fromTaskMessage($message, withPriority: $case !== 'queue_other');

        $header = AmqpCapture::file($captured->header_file);
        // After class id, weight and the 64-bit body size: flags and properties.
        self::assertSame(bin2hex(substr($header, 12)), bin2hex($amqp->properties->encode()));
        self::assertSame([$captured->method_args->exchange, $captured->method_args->routing_key], [$amqp->exchange, $amqp->routingKey]);
        self::assertSame(
            json_encode(json_decode(self::body($case))),
            json_encode(json_decode($amqp->body)),
        );
        self::assertSame(strlen($amqp->body), unpack('J', substr($amqp->contentHeader(), 4, 8))[1]);
    }

    public function testTheRedisOnlyPropertiesAreLeftOutAndTheBodyIsNotBase64(): void
    {
        $builder = new MessageBuilder('gen1@host', 'oid', encoder: new BodyEncoder(compression: 'zlib'));
        $message = $builder->build(
            new Signature('tasks.add', [2, 3], [], ['argsrepr' => '(2, 3)', 'app_id' => 'billing']),
            'id-1',
            new Delivery('celery', 0, 'media', 'video'),
            new \DateTimeImmutable(),
            'tag',
        );
        self::assertArrayHasKey('delivery_tag', $message->properties);
        self::assertArrayHasKey('argsrepr', $message->properties);

        $amqp = AmqpTaskMessage::fromTaskMessage($message);

        self::assertSame(['media', 'video'], [$amqp->exchange, $amqp->routingKey]);
        self::assertSame('billing', $amqp->properties->appId);
        self::assertSame($message->body, $amqp->body);
        self::assertSame('[[2,3],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]', zlib_decode($amqp->body));
        self::assertSame('application/x-gzip', $amqp->properties->headers['compression']);
        self::assertSame('003c0028' . '0000' . '056d65646961' . '05766964656f' . '00', bin2hex($amqp->publishMethod()));
    }

    public function testProtocolOneSendsAnEmptyHeaderTable(): void
    {
        $message = (new MessageBuilder('gen1@host', 'oid', protocol: 1))
            ->build(new Signature('tasks.add', [2, 3]), 'id-1', new Delivery('celery'), new \DateTimeImmutable(), 'tag');

        $amqp = AmqpTaskMessage::fromTaskMessage($message);

        // content_type, content_encoding, headers, delivery_mode, priority, correlation_id, reply_to.
        self::assertSame('fe00', bin2hex(substr($amqp->properties->encode(), 0, 2)));
        self::assertStringContainsString("\x05utf-8\x00\x00\x00\x00\x02", $amqp->properties->encode());
    }

    private static function body(string $case): string
    {
        return AmqpCapture::file("$case.pub0.body.bin");
    }
}
