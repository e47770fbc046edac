<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\ConfirmChannel;
use CeleryBridge\Connection\Amqp\PhpAmqpLibConnection;
use PhpAmqpLib\Channel\AMQPChannel;
use PHPUnit\Framework\TestCase;

/**
 * A basic.ack with multiple=true settles the same delivery tags on our channel as on
 * php-amqplib's own, the awaiting tags being in publish order with gaps where single acks came.
 */
final class ConfirmChannelTest extends TestCase
{
    protected function setUp(): void
    {
        if (!PhpAmqpLibConnection::available()) {
            self::markTestSkipped('php-amqplib is not installed.');
        }
    }

    public function testTheTagsUpToAMultipleAckAreTheLibrarysOwn(): void
    {
        $channel = (new \ReflectionClass(ConfirmChannel::class))->newInstanceWithoutConstructor();
        $ours = new \ReflectionMethod(ConfirmChannel::class, 'get_keys_less_or_equal');
        $library = new \ReflectionMethod(AMQPChannel::class, 'get_keys_less_or_equal');
        mt_srand(27);
        for ($round = 0; $round < 50; $round++) {
            $awaiting = [];
            for ($tag = 1; $tag <= 300; $tag++) {
                if (mt_rand(0, 4) > 0) {
                    $awaiting[$tag] = 'message';
                }
            }
            foreach ([0, 1, mt_rand(1, 300), mt_rand(1, 300), 300, 301] as $upTo) {
                self::assertSame($library->invoke($channel, $awaiting, $upTo), $ours->invoke($channel, $awaiting, $upTo));
                self::assertSame($library->invoke($channel, $awaiting, (string) $upTo), $ours->invoke($channel, $awaiting, (string) $upTo));
            }
        }
        self::assertSame([], $ours->invoke($channel, [], 5));
    }
}
