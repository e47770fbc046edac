<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\TaskMessage;
use CeleryBridge\Wire\BodyEncoder;
use PHPUnit\Framework\TestCase;

final class MessageBuilderTest extends TestCase
{
    private const ID = '11111111-2222-4333-8444-555555555555';
    private const TAG = '99999999-8888-4777-8666-555555555555';

    public function testPlainTaskIsTheEnvelopeCeleryWrites(): void
    {
        $message = $this->build(new Signature('tasks.add', [2, 3]));

        self::assertSame(
            '{"body":"W1syLDNdLHt9LHsiY2FsbGJhY2tzIjpudWxsLCJlcnJiYWNrcyI6bnVsbCwiY2hhaW4iOm51bGwsImNob3JkIjpudWxsfV0=",'
            . '"content-encoding":"utf-8","content-type":"application/json",'
            . '"headers":{"lang":"py","task":"tasks.add","id":"' . self::ID . '","shadow":null,"eta":null,'
            . '"expires":null,"group":null,"group_index":null,"retries":0,"timelimit":[null,null],'
            . '"root_id":"' . self::ID . '","parent_id":null,"argsrepr":"[2, 3]","kwargsrepr":"{}",'
            . '"origin":"gen42@host","ignore_result":null,"replaced_task_nesting":0,"stamped_headers":null,"stamps":{}},'
            . '"properties":{"correlation_id":"' . self::ID . '","reply_to":"reply-oid","delivery_mode":2,'
            . '"delivery_info":{"exchange":"","routing_key":"celery"},"priority":0,"body_encoding":"base64",'
            . '"delivery_tag":"' . self::TAG . '"}}',
            $message->toEnvelope(),
        );
        self::assertSame(
            '[[2,3],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]',
            $message->body,
        );
    }

    public function testOptionsLandInTheirHeadersAndProperties(): void
    {
        $signature = new Signature('reports.build', [], ['month' => '2026-11', 'scale' => 1.0], [
            'countdown' => 30,
            'expires' => 90.5,
            'time_limit' => 600,
            'soft_time_limit' => 550.5,
            'retries' => 2,
            'shadow' => 'nightly report',
            'ignore_result' => true,
            'headers' => ['tenant' => 'acme', 'trace' => ['a' => 1]],
            'root_id' => 'root-1',
            'parent_id' => 'parent-1',
            'group_id' => 'group-1',
            'group_index' => 3,
        ]);

        $message = $this->build($signature, new Delivery('reports', 6));

        $headers = $message->headers;
        self::assertSame('2026-11-24T01:00:30.123456+00:00', $headers['eta']);
        self::assertSame('2026-11-24T01:01:30.623456+00:00', $headers['expires']);
        self::assertSame([600, 550.5], $headers['timelimit']);
        self::assertSame(2, $headers['retries']);
        self::assertSame('nightly report', $headers['shadow']);
        self::assertTrue($headers['ignore_result']);
        self::assertSame('root-1', $headers['root_id']);
        self::assertSame('parent-1', $headers['parent_id']);
        self::assertSame('group-1', $headers['group']);
        self::assertSame(3, $headers['group_index']);
        self::assertSame("{'month': '2026-11', 'scale': 1.0}", $headers['kwargsrepr']);
        self::assertSame('()', $headers['argsrepr']);
        self::assertSame('acme', $headers['tenant']);
        self::assertEquals((object) ['a' => 1], $headers['trace']);
        self::assertSame('90500', $message->properties['expiration']);
        self::assertSame(['exchange' => '', 'routing_key' => 'reports'], $message->properties['delivery_info']);
        self::assertSame(6, $message->properties['priority']);
        self::assertSame(
            '[[],{"month":"2026-11","scale":1.0},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]',
            $message->body,
        );
    }

    public function testAmqpPropertiesGoIntoThePropertiesAsKombuWritesThem(): void
    {
        $message = $this->build(new Signature('tasks.add', [1, 2], [], [
            'timestamp' => 1764000000, 'app_id' => 'billing', 'reply_to' => 'my-oid', 'type' => 'invoice',
        ]));

        self::assertSame(
            ['correlation_id', 'reply_to', 'app_id', 'type', 'timestamp', 'delivery_mode'],
            array_slice(array_keys($message->properties), 0, 6),
        );
        self::assertSame(['my-oid', 'billing', 'invoice', 1764000000], [
            $message->properties['reply_to'], $message->properties['app_id'], $message->properties['type'],
            $message->properties['timestamp'],
        ]);
        self::assertArrayNotHasKey('app_id', $message->headers);
    }

    public function testStampsAreListedInStampedHeaders(): void
    {
        $message = $this->build(new Signature('tasks.add', [1, 2], [], ['stamps' => ['batch' => 'b-1', 'tenant' => ['id' => 7]]]));
        $plain = $this->build(new Signature('tasks.add', [1, 2]));

        self::assertSame(['batch', 'tenant'], $message->headers['stamped_headers']);
        self::assertSame('{"batch":"b-1","tenant":{"id":7}}', json_encode($message->headers['stamps']));
        self::assertSame([null, '{}'], [$plain->headers['stamped_headers'], json_encode($plain->headers['stamps'])]);
    }

    public function testEtaInAnyZoneIsSentInUtcWithAnExplicitOffset(): void
    {
        $eta = new \DateTimeImmutable('2026-11-24 12:00:00', new \DateTimeZone('America/New_York'));
        $message = $this->build(new Signature('tasks.add', [1, 2], [], ['eta' => $eta, 'expires' => '2026-11-25T00:00:00+01:00']));

        self::assertSame('2026-11-24T17:00:00+00:00', $message->headers['eta']);
        self::assertSame('2026-11-24T23:00:00+00:00', $message->headers['expires']);
        // The TTL is counted from now, not from the eta, as kombu does.
        self::assertSame('79199876', $message->properties['expiration']);
    }

    public function testExpiredAlreadyGivesAZeroTtlLikeCelery(): void
    {
        $message = $this->build(new Signature('tasks.add', [], [], ['expires' => -5]));

        self::assertSame('0', $message->properties['expiration']);
        self::assertSame('2026-11-24T00:59:55.123456+00:00', $message->headers['expires']);
    }

    public function testLinksAreEmbeddedAsSignatureDicts(): void
    {
        $message = $this->build(new Signature('tasks.add', [1, 2], [], [
            'link' => new Signature('tasks.log', [], [], ['queue' => 'logs']),
            'link_error' => [new Signature('tasks.on_error'), (new Signature('tasks.alert', ['ops']))->asImmutable()],
        ]));

        self::assertSame(
            '[[1,2],{},{"callbacks":[{"task":"tasks.log","args":[],"kwargs":{},"options":{"queue":"logs"},'
            . '"subtask_type":null,"immutable":false}],"errbacks":[{"task":"tasks.on_error","args":[],"kwargs":{},'
            . '"options":{},"subtask_type":null,"immutable":false},{"task":"tasks.alert","args":["ops"],"kwargs":{},'
            . '"options":{},"subtask_type":null,"immutable":true}],"chain":null,"chord":null}]',
            $message->body,
        );
    }

    public function testCompressedBodiesAreZlibStreamsNamedByMimeType(): void
    {
        $builder = new MessageBuilder('gen42@host', 'reply-oid', 2, new BodyEncoder('json', 'zlib'));
        $message = $builder->build(new Signature('tasks.add', [2, 3]), self::ID, new Delivery('celery'), $this->now(), self::TAG);

        self::assertSame('application/x-gzip', $message->headers['compression']);
        self::assertSame("\x78\x9c", substr($message->body, 0, 2));
        self::assertSame('[[2,3],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]', gzuncompress($message->body));
        self::assertSame('application/json', $message->contentType);
    }

    public function testProtocolOneCarriesEverythingInTheBody(): void
    {
        $builder = new MessageBuilder('gen42@host', 'reply-oid', 1);
        $message = $builder->build(
            new Signature('tasks.add', [2], ['y' => 3], ['countdown' => 10, 'time_limit' => 5]),
            self::ID,
            new Delivery('celery'),
            $this->now(),
            self::TAG,
        );

        self::assertSame('{}', json_encode((object) $message->headers));
        self::assertSame(
            '{"task":"tasks.add","id":"' . self::ID . '","args":[2],"kwargs":{"y":3},"group":null,"group_index":null,'
            . '"retries":0,"eta":"2026-11-24T01:00:10.123456+00:00","expires":null,"utc":true,"callbacks":null,'
            . '"errbacks":null,"timelimit":[5,null],"taskset":null,"chord":null}',
            $message->body,
        );
        self::assertStringContainsString('"headers":{}', $message->toEnvelope());
    }

    private function build(Signature $signature, ?Delivery $delivery = null): TaskMessage
    {
        $builder = new MessageBuilder('gen42@host', 'reply-oid');
        return $builder->build($signature, self::ID, $delivery ?? new Delivery('celery'), $this->now(), self::TAG);
    }

    private function now(): \DateTimeImmutable
    {
        return new \DateTimeImmutable('2026-11-24T01:00:00.123456+00:00');
    }
}
