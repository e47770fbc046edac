<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\TaskSentEvent;
use PHPUnit\Framework\TestCase;

final class TaskSentEventTest extends TestCase
{
    public function testTheEventCarriesWhatCeleryPutsInIt(): void
    {
        $builder = new MessageBuilder('gen1@host', 'reply-to');
        $now = new \DateTimeImmutable('2030-01-02T03:04:05.5+00:00');
        $delivery = new Delivery('reports', 3);
        $message = $builder->build(new Signature('tasks.add', [1, 2], ['k' => 'v'], ['countdown' => 10]), 'id-1', $delivery, $now, 'tag');

        $envelope = TaskSentEvent::envelope($message, $delivery, 'php1@host', 7, 1893553445.5, 'celeryev', 'event-tag');

        self::assertSame(
            '{"body":"%s","content-encoding":"utf-8","content-type":"application/json","headers":{"hostname":"php1@host"},'
            . '"properties":{"delivery_mode":1,"delivery_info":{"exchange":"celeryev","routing_key":"task.sent"},'
            . '"priority":0,"body_encoding":"base64","delivery_tag":"event-tag"}}',
            preg_replace('/"body":"[^"]+"/', '"body":"%s"', $envelope),
        );
        $event = json_decode(base64_decode(json_decode($envelope, true)['body']), true);
        self::assertSame([
            'hostname' => 'php1@host',
            'utcoffset' => $event['utcoffset'],
            'pid' => getmypid(),
            'clock' => 7,
            'uuid' => 'id-1',
            'root_id' => 'id-1',
            'parent_id' => null,
            'name' => 'tasks.add',
            'args' => '[1, 2]',
            'kwargs' => "{'k': 'v'}",
            'retries' => 0,
            'eta' => '2030-01-02T03:04:15.500000+00:00',
            'expires' => null,
            'queue' => 'reports',
            'exchange' => '',
            'routing_key' => 'reports',
            'timestamp' => 1893553445.5,
            'type' => 'task-sent',
        ], $event);
        self::assertIsFloat($event['utcoffset']);
    }
}
