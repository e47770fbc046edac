<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Connection\AbstractConnection;

/**
 * php-amqplib's channel, with its confirm bookkeeping made linear. RabbitMQ confirms a batch of
 * publishes with a few basic.ack frames, each with multiple=true ("every tag up to N"); for each
 * of them php-amqplib 3.5 collects the tags up to N with array_reduce() and an array copied at
 * every step: quadratic in the publishes awaiting a confirm, about 34,000 instructions per task
 * in a sendMany() chunk of 200 (callgrind). The tags are kept in publish order (a confirm
 * channel numbers its publishes 1, 2, ...), so the ones up to N are a prefix.
 *
 * @internal
 */
final class ConfirmChannel extends AMQPChannel
{
    /**
     * A new channel on $connection, registered there as AbstractConnection::channel() does.
     */
    public static function open(AbstractConnection $connection, float $rpcTimeout): self
    {
        $id = $connection->get_free_channel_id();
        $channel = new self($connection, $id, true, $rpcTimeout);
        $connection->channels[$id] = $channel;
        return $channel;
    }

    /**
     * @param array<int, mixed> $messages the publishes awaiting a confirm, by delivery tag, in publish order
     * @param int|string $value
     * @return list<int>
     */
    // phpcs:ignore PSR1.Methods.CamelCapsMethodName -- php-amqplib's name
    protected function get_keys_less_or_equal(array $messages, $value)
    {
        $value = (int) $value;
        $keys = [];
        foreach ($messages as $key => $_) {
            if ($key > $value) {
                break;
            }
            $keys[] = $key;
        }
        return $keys;
    }
}
