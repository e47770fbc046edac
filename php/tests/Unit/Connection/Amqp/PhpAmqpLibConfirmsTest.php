<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\PhpAmqpLibConfirms;
use CeleryBridge\Connection\Amqp\PhpAmqpLibConnection;
use PhpAmqpLib\Channel\AMQPChannel;
use PHPUnit\Framework\TestCase;

final class PhpAmqpLibConfirmsTest extends TestCase
{
    protected function setUp(): void
    {
        if (!PhpAmqpLibConnection::available()) {
            self::markTestSkipped('php-amqplib is not installed.');
        }
    }

    /**
     * A wait for confirms that failed (a timeout, the connection lost) leaves what RabbitMQ had
     * answered before it: the next channel must not hand those returns and nacked places to the
     * next batch, where place 0 or a correlation id would name a publish that was confirmed.
     */
    public function testANewChannelStartsWithoutWhatAFailedWaitLeft(): void
    {
        $confirms = new class () {
            use PhpAmqpLibConfirms {
                listen as public;
            }

            /** @return array{list<string>, list<int>, int} */
            public function state(): array
            {
                return [$this->returned, $this->nacked, $this->written];
            }

            public function leftByAFailedWait(): void
            {
                [$this->returned, $this->nacked, $this->written] = [['an-id'], [0, 2], 3];
            }
        };
        $confirms->leftByAFailedWait();

        $confirms->listen($this->createMock(AMQPChannel::class));

        self::assertSame([[], [], 0], $confirms->state());
    }
}
