<?php

declare(strict_types=1);

namespace CeleryBridge\Wire\Amqp;

use CeleryBridge\Exception\InvalidOption;

/**
 * Celery 5.5+'s native delayed delivery on RabbitMQ (kombu/transport/native_delayed_delivery.py).
 *
 * When a quorum queue is configured and the task's exchange is not direct, Celery publishes a
 * task with a countdown (or an eta, turned into seconds from now) to the topic exchange
 * celery_delayed_27 instead of its own exchange, with the whole seconds written as 28 binary
 * digits, one routing-key word each, before the task's routing key. The workers build a chain of
 * 28 queues whose TTLs are the powers of two (celery_delayed_27 .. _0, dead-lettering into each
 * other): each word routes the message through the level that holds it 2**N seconds or past it,
 * and celery_delayed_delivery finally hands it to the task's exchange, bound with "#.<key>".
 * Without that topology (no worker has started with a quorum queue) the exchange is missing and
 * the publish is lost, which a publisher confirm reports.
 *
 * @internal
 */
final class DelayedDelivery
{
    public const EXCHANGE = 'celery_delayed_27';
    private const BITS = 28;
    private const PREFIX = '/^(?:[01]\.){28}/';

    private function __construct()
    {
    }

    /**
     * The routing key for a task delayed by $countdown seconds whose own routing key is
     * $routingKey. Celery truncates the seconds to an int; a countdown of 0 or less is no delay
     * at all (the caller publishes as usual, with the eta header).
     *
     * A routing key that already starts with a delay (a retried task carries the previous
     * one) loses it first, as kombu does, so that retries do not make it grow.
     *
     * @throws InvalidOption for less than one second (Celery raises "countdown must be a positive
     *         number") and for 2**28 s (8.5 years) or more, which needs a 29th level the workers
     *         do not build (Celery would publish a 29-word key the topology cannot route)
     */
    public static function routingKey(int|float $countdown, string $routingKey): string
    {
        // Compared before the cast: NAN fails both tests, and a float too large for an int is
        // never cast.
        $seconds = $countdown >= 1 && $countdown < 1 << self::BITS ? (int) $countdown : 0;
        if ($seconds === 0) {
            throw InvalidOption::invalid('countdown', $countdown, sprintf(
                'RabbitMQ\'s native delayed delivery (quorum queues) delays by whole seconds, from 1 to %d '
                . '(2**28 - 1).',
                (1 << self::BITS) - 1,
            ));
        }
        $routingKey = (string) preg_replace(self::PREFIX, '', $routingKey, 1);
        if ($routingKey === '') {
            throw InvalidOption::invalid('routing_key', $routingKey, 'native delayed delivery needs the task\'s routing key.');
        }
        return implode('.', str_split(sprintf('%028b', $seconds))) . '.' . $routingKey;
    }
}
