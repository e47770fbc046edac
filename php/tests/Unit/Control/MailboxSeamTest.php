<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Control;

use CeleryBridge\Control\Broadcast;
use CeleryBridge\Control\ControlReply;
use CeleryBridge\Control\Mailbox;
use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\InvalidControlCommand;
use PHPUnit\Framework\TestCase;

/**
 * WorkerControl builds the commands and reads the answers; the mailbox of a transport carries
 * them. A mailbox other than Redis's sees finished, checked commands and nothing Redis-shaped.
 */
final class MailboxSeamTest extends TestCase
{
    public function testCommandsGoThroughTheMailboxGiven(): void
    {
        $mailbox = new class implements Mailbox {
            /** @var list<array{string, Broadcast, float|null, int|null}> */
            public array $sent = [];

            public function exchange(): string
            {
                return 'ctl.pidbox';
            }

            public function tell(Broadcast $command): int
            {
                $this->sent[] = ['tell', $command, null, null];
                return 3;
            }

            public function ask(Broadcast $command, float $timeout, int $limit): array
            {
                $this->sent[] = ['ask', $command, $timeout, $limit];
                return ['w1@h' => ['ok' => 'new rate limit set successfully'], 'w2@h' => ['error' => 'unknown task']];
            }
        };
        $control = new WorkerControl($mailbox);

        self::assertSame('ctl.pidbox', $control->exchange());
        self::assertSame(3, $control->revoke('abc'));
        $replies = $control->rateLimit('tasks.add', '10/m', ['w1@h', 'w2@h'], 2.5);

        self::assertEquals(
            [
                'w1@h' => new ControlReply('w1@h', true, 'new rate limit set successfully', ['ok' => 'new rate limit set successfully']),
                'w2@h' => new ControlReply('w2@h', false, 'unknown task', ['error' => 'unknown task']),
            ],
            $replies,
        );
        [[$told, $revoke], [$asked, $rateLimit, $timeout, $limit]] = $mailbox->sent;
        self::assertSame(['tell', 'revoke'], [$told, $revoke->method]);
        self::assertSame(['ask', 'rate_limit', 2.5, 2], [$asked, $rateLimit->method, $timeout, $limit]);
        self::assertSame(['task_name' => 'tasks.add', 'rate_limit' => '10/m'], $rateLimit->arguments);

        // A bad command never reaches the mailbox.
        try {
            $control->ping(0.0);
            self::fail('a zero timeout was accepted');
        } catch (InvalidControlCommand) {
            self::assertCount(2, $mailbox->sent);
        }
    }

    public function testAMailboxTakesTheReplyQueueItMade(): void
    {
        $asked = Broadcast::inspect('ping', null);
        $body = $asked->replyTo('ticket-1', 'reply.celery.pidbox', 'rk-1')->body();

        self::assertSame('ticket-1', $body['ticket']);
        self::assertSame(['exchange' => 'reply.celery.pidbox', 'routing_key' => 'rk-1'], $body['reply_to']);
        self::assertSame(['', ['exchange' => '', 'routing_key' => '']], [$asked->body()['ticket'], $asked->body()['reply_to']]);
    }
}
