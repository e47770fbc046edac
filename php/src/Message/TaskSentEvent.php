<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Wire\Envelope;

/**
 * The `task-sent` event Celery's client publishes after a task message when
 * task_send_sent_event is on: what Flower and `celery events` show for a task no worker has
 * received yet. Fields and envelope as Celery 5.7 sends them (tests/test_events.py compares):
 * a kombu message on the event exchange (a fanout exchange, PUBLISHed on Redis) with routing key
 * "task.sent" and a JSON body.
 *
 * @internal
 */
final class TaskSentEvent
{
    public const ROUTING_KEY = 'task.sent';

    /**
     * @param TaskMessage $message a protocol 2 message (its headers hold what the event says)
     * @param int $clock the client's Lamport clock for this event
     */
    public static function envelope(
        TaskMessage $message,
        Delivery $delivery,
        string $hostname,
        int $clock,
        float $timestamp,
        string $exchange,
        string $deliveryTag,
    ): string {
        $event = self::fields($message, $delivery, $hostname, $clock, $timestamp);
        // Events are transient in kombu (delivery_mode 1), unlike task messages.
        return Envelope::ofJson($event, ['hostname' => $hostname], $exchange, self::ROUTING_KEY, 1, $deliveryTag);
    }

    /**
     * The event's fields in Celery's order (its JSON body); sent with the header hostname.
     *
     * @param TaskMessage $message a protocol 2 message (its headers hold what the event says)
     * @param int $clock the client's Lamport clock for this event
     * @return array<string, mixed>
     */
    public static function fields(
        TaskMessage $message,
        Delivery $delivery,
        string $hostname,
        int $clock,
        float $timestamp,
    ): array {
        $headers = $message->headers;
        return [
            'hostname' => $hostname,
            'utcoffset' => self::utcoffset(),
            'pid' => getmypid(),
            'clock' => $clock,
            'uuid' => $message->taskId,
            'root_id' => $headers['root_id'] ?? $message->taskId,
            'parent_id' => $headers['parent_id'] ?? null,
            'name' => $headers['task'],
            'args' => $headers['argsrepr'],
            'kwargs' => $headers['kwargsrepr'],
            'retries' => $headers['retries'] ?? 0,
            'eta' => $headers['eta'] ?? null,
            'expires' => $headers['expires'] ?? null,
            'queue' => $delivery->queue,
            'exchange' => $delivery->exchange,
            'routing_key' => $delivery->routingKey(),
            'timestamp' => $timestamp,
            'type' => 'task-sent',
        ];
    }

    /**
     * celery.utils.time.utcoffset(): hours west of UTC (time.timezone / 3600), daylight saving
     * included; Flower uses it to place the event's timestamp.
     */
    private static function utcoffset(): float
    {
        return (float) (-(int) date('Z')) / 3600;
    }
}
