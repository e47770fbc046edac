<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Control;

use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidControlCommand;
use PHPUnit\Framework\TestCase;

final class WorkerControlTest extends TestCase
{
    /**
     * @param array<string, mixed> $config
     */
    private function control(array $config = [], int $db = 3, ?array &$published = null): WorkerControl
    {
        $connection = $this->createMock(RedisConnection::class);
        $connection->method('database')->willReturn($db);
        $published = [];
        $connection->method('publish')->willReturnCallback(function (string $channel, string $message) use (&$published): int {
            $published[] = [$channel, json_decode($message, true)];
            return 2;
        });
        return WorkerControl::fromConfig($connection, ClientConfig::fromArray($config));
    }

    public function testTheMailboxChannelFollowsKombu(): void
    {
        self::assertSame('/3.celery.pidbox', $this->control()->channel());
        self::assertSame('/0.celery.pidbox', $this->control(db: 0)->channel());
        self::assertSame('/3.ctl.pidbox', $this->control(['control_exchange' => 'ctl'])->channel());
        self::assertSame('pfx:/3.celery.pidbox', $this->control(['broker_transport_options' => ['global_keyprefix' => 'pfx:']])->channel());
        self::assertSame('celery.pidbox', $this->control(['broker_transport_options' => ['fanout_prefix' => false]])->channel());
        self::assertSame('/3.celery.pidbox', $this->control(['broker_transport_options' => ['fanout_prefix' => true]])->channel());
        self::assertSame('x/3/celery.pidbox', $this->control(['broker_transport_options' => ['fanout_prefix' => 'x/{db}/']])->channel());
    }

    public function testRevokePublishesOnTheChannelAndReturnsTheReceiverCount(): void
    {
        $control = $this->control(['broker_transport_options' => ['global_keyprefix' => 'p:']], 1, $published);

        self::assertSame(2, $control->revoke(['a', 'b'], true, 'KILL', ['w@h']));
        self::assertSame(2, $control->revoke('c'));

        self::assertCount(2, $published);
        [[$channel, $first], [, $second]] = $published;
        self::assertSame('p:/1.celery.pidbox', $channel);
        self::assertSame('celery.pidbox', $first['properties']['delivery_info']['exchange']);
        self::assertSame(
            [
                'method' => 'revoke',
                'arguments' => ['task_id' => ['a', 'b'], 'terminate' => true, 'signal' => 'KILL'],
                'destination' => ['w@h'],
                'pattern' => null,
                'matcher' => null,
            ],
            json_decode(base64_decode($first['body'], true), true),
        );
        // A Lamport clock: every broadcast moves it forward.
        self::assertSame([1, 2], [$first['headers']['clock'], $second['headers']['clock']]);
        self::assertEqualsWithDelta(microtime(true) + 1.0, $first['headers']['expires'], 5.0);
        self::assertNotSame($first['properties']['delivery_tag'], $second['properties']['delivery_tag']);
    }

    public function testInvalidInputPublishesNothing(): void
    {
        $control = $this->control([], 0, $published);
        try {
            $control->revoke('a', true, 'NOPE');
            self::fail('an unknown signal was accepted');
        } catch (InvalidControlCommand) {
        }
        self::assertSame([], $published);
    }

    public function testATimeoutNoReplyCollectionCanEndIsRefusedBeforeAnyCommand(): void
    {
        $connection = $this->createMock(RedisConnection::class);
        $connection->expects(self::never())->method('withDeadline');
        $connection->expects(self::never())->method('transaction');
        $connection->expects(self::never())->method('publish');
        $control = new WorkerControl($connection);
        foreach ([INF, NAN, 1e300, PHP_FLOAT_MAX, 9.3e18, 86400.5, 0.0, -1.0] as $timeout) {
            try {
                $control->ping($timeout);
                self::fail(sprintf('timeout %s was accepted', var_export($timeout, true)));
            } catch (InvalidControlCommand $e) {
                self::assertStringContainsString('at most 86400', $e->getMessage());
            }
        }
    }

    public function testAFanoutPrefixOfAnotherTypeIsAConfigurationError(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('broker_transport_options.fanout_prefix');
        $this->control(['broker_transport_options' => ['fanout_prefix' => 1]]);
    }
}
