<?php

declare(strict_types=1);

namespace CeleryBridge\Wire\Amqp;

use CeleryBridge\Exception\SerializationFailed;

/**
 * kombu's pidbox mailbox on RabbitMQ (kombu/pidbox.py, celery/app/control.py), the real
 * exchanges Redis only emulates:
 *
 *   "<control_exchange>.pidbox"        fanout, not durable, not auto-delete: every running
 *                                      worker binds its own exclusive queue
 *                                      "<node>.<control_exchange>.pidbox" to it
 *   "reply.<control_exchange>.pidbox"  direct, not durable: a client expecting replies binds
 *                                      "<oid>.reply.<control_exchange>.pidbox" (exclusive,
 *                                      auto-delete, x-expires / x-message-ttl from
 *                                      control_queue_expires / control_queue_ttl) with key <oid>
 *
 * A command goes to the fanout exchange with an empty routing key; a worker answers on the
 * reply exchange with the routing key the command's reply_to names, headers {ticket, clock}.
 * Both exchanges are declared with these flags by every worker: a client must declare them
 * the same way, or RabbitMQ closes the channel with 406 PRECONDITION_FAILED.
 *
 * @internal
 */
final class Pidbox
{
    /** Celery's control_queue_expires (10.0 s) and control_queue_ttl (300.0 s), as kombu sends them: ms. */
    public const REPLY_QUEUE_EXPIRES_MS = 10000;
    public const REPLY_QUEUE_TTL_MS = 300000;

    private function __construct()
    {
    }

    public static function exchange(string $controlExchange): string
    {
        return $controlExchange . '.pidbox';
    }

    public static function replyExchange(string $controlExchange): string
    {
        return 'reply.' . $controlExchange . '.pidbox';
    }

    /**
     * The reply queue of the client whose oid (a uuid) is $oid; its binding key is the oid.
     */
    public static function replyQueue(string $controlExchange, string $oid): string
    {
        return $oid . '.' . self::replyExchange($controlExchange);
    }

    /**
     * The reply queue's arguments, integers as py-amqp writes them (I).
     *
     * @return array{'x-expires': int, 'x-message-ttl': int}
     */
    public static function replyQueueArguments(): array
    {
        return ['x-expires' => self::REPLY_QUEUE_EXPIRES_MS, 'x-message-ttl' => self::REPLY_QUEUE_TTL_MS];
    }

    /**
     * A command (Broadcast::body()) as kombu's Mailbox._publish sends it: delivery_mode 2,
     * headers {clock: I, expires: d} where expires is the unix time after which replies are
     * ignored (now + the reply timeout), or the integer 0 when the call has none.
     *
     * @param array<string, mixed> $body
     * @throws SerializationFailed
     */
    public static function command(string $controlExchange, array $body, int $clock, float $expires): ExchangeMessage
    {
        $headers = ['clock' => $clock, 'expires' => $expires > 0 ? $expires : 0];
        return ExchangeMessage::ofJson($body, $headers, self::exchange($controlExchange), '', 2);
    }
}
