<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionTimedOut;
use CeleryBridge\Exception\PublishOutcomeUnknown;
use CeleryBridge\Tests\Unit\Connection\Fixtures\Predis;
use PHPUnit\Framework\TestCase;

/**
 * A server that accepts connections and never answers (a hung Redis, a wrong port behind a
 * load balancer): the kernel completes the handshake from the listen backlog, nothing replies.
 * get(timeout:) and task_publish_timeout must bound the whole call, whatever the socket
 * timeouts say.
 */
final class DeadlineTest extends TestCase
{
    /** @var resource */
    private $server;
    private string $url;

    protected function setUp(): void
    {
        Predis::load();
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        self::assertIsResource($server, $errstr);
        $this->server = $server;
        $this->url = 'redis://' . stream_socket_get_name($server, false) . '/0';
    }

    protected function tearDown(): void
    {
        fclose($this->server);
    }

    /**
     * @return iterable<string, array{string}>
     */
    public static function clients(): iterable
    {
        yield 'phpredis' => ['phpredis'];
        yield 'predis' => ['predis'];
    }

    /**
     * @dataProvider clients
     */
    public function testGetObeysItsTimeoutOnASilentBackend(string $client): void
    {
        // The backend's own socket timeout (120 s by default) is far longer than the caller's.
        $celery = new CeleryClient('redis://127.0.0.1:1/0', $this->url, ['redis_client' => $client]);
        $started = hrtime(true);
        try {
            $celery->result('t-1')->get(timeout: 0.5);
            self::fail('get() returned from a server that never answers.');
        } catch (ConnectionTimedOut $e) {
            self::assertStringContainsString('get() timeout', $e->getMessage());
        }
        self::assertLessThan(1.5, (hrtime(true) - $started) / 1e9);
    }

    /**
     * @dataProvider clients
     */
    public function testPublishTimeoutBoundsThePublish(string $client): void
    {
        $celery = new CeleryClient($this->url, config: [
            'redis_client' => $client,
            'task_publish_timeout' => 0.8,
            'task_publish_retry_policy' => ['max_retries' => 10, 'interval_start' => 0.1],
        ]);
        $started = hrtime(true);
        try {
            $celery->sendTask('tasks.add', [1, 2]);
            self::fail('A publish to a server that never answers succeeded.');
        } catch (PublishOutcomeUnknown $e) {
            // A socket that was just opened is not PINGed first (one round trip per publish),
            // so the LPUSH was written: whether it ran is unknown, and said so.
            self::assertStringContainsString('task_publish_timeout', $e->getMessage());
            self::assertStringContainsString('may or may not', $e->getMessage());
        }
        self::assertLessThan(2.0, (hrtime(true) - $started) / 1e9);
    }

    public function testAFailedPublishNamesItsTasks(): void
    {
        $celery = new CeleryClient($this->url, config: ['task_publish_timeout' => 0.3]);
        try {
            $celery->send(new Group(
                new Signature('tasks.add', [1, 2], options: ['task_id' => 'first']),
                new Signature('tasks.add', [3, 4], options: ['task_id' => 'second']),
            ), ['task_id' => 'the-group']);
            self::fail('A publish to a server that never answers succeeded.');
        } catch (ConnectionFailed $e) {
            self::assertSame(['first', 'second'], $e->taskIds());
            self::assertSame([], $e->queuedTaskIds());
            self::assertSame('the-group', $e->canvasId());
            self::assertStringContainsString('Task ids: "first", "second".', $e->getMessage());
        }
    }

    public function testPublishTimeoutMustBePositive(): void
    {
        $this->expectExceptionMessage('task_publish_timeout');
        new CeleryClient($this->url, config: ['task_publish_timeout' => 0]);
    }
}
