<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Control;

use CeleryBridge\Control\Broadcast;
use CeleryBridge\Exception\InvalidControlCommand;
use PHPUnit\Framework\TestCase;

final class BroadcastTest extends TestCase
{
    public function testTheRevokeEnvelopeIsWhatCeleryPublishes(): void
    {
        $envelope = Broadcast::revoke('abc', true, 'SIGKILL', ['w1@h'])
            ->toEnvelope('celery.pidbox', 1, 1795484482.5, '378ab146-99f3-41d2-831e-04218ca77ad0');

        $decoded = json_decode($envelope, true);
        self::assertSame(
            '{"method":"revoke","arguments":{"task_id":"abc","terminate":true,"signal":"SIGKILL"},'
            . '"destination":["w1@h"],"pattern":null,"matcher":null}',
            base64_decode($decoded['body'], true),
        );
        unset($decoded['body']);
        self::assertSame([
            'content-encoding' => 'utf-8',
            'content-type' => 'application/json',
            'headers' => ['clock' => 1, 'expires' => 1795484482.5],
            'properties' => [
                'delivery_mode' => 2,
                'delivery_info' => ['exchange' => 'celery.pidbox', 'routing_key' => ''],
                'priority' => 0,
                'body_encoding' => 'base64',
                'delivery_tag' => '378ab146-99f3-41d2-831e-04218ca77ad0',
            ],
        ], $decoded);
    }

    public function testSeveralIdsTravelAsAListAndOneAsAString(): void
    {
        self::assertSame(['a', 'b'], Broadcast::revoke(['a', 'b'])->arguments['task_id']);
        self::assertSame('a', Broadcast::revoke('a')->arguments['task_id']);
        self::assertSame(
            ['task_id' => 'a', 'terminate' => false, 'signal' => 'SIGTERM'],
            Broadcast::revoke('a')->arguments,
        );
        self::assertNull(Broadcast::revoke('a')->destination);
    }

    public function testAnInspectCarriesItsTicketAndReplyQueue(): void
    {
        $body = Broadcast::inspect('registered', ['w@h'], 'ticket-1', 'reply.celery.pidbox', 'rk-1')->body();

        self::assertSame(
            '{"method":"registered","arguments":{"taskinfoitems":[]},"destination":["w@h"],"pattern":null,"matcher":null,'
            . '"ticket":"ticket-1","reply_to":{"exchange":"reply.celery.pidbox","routing_key":"rk-1"}}',
            json_encode($body),
        );
        $this->expectExceptionMessage('expected one of ping, stats');
        Broadcast::inspect('shutdown', null, 't', 'e', 'r');
    }

    public function testSignalsByNameOrNumber(): void
    {
        foreach (['SIGTERM', 'TERM', 'SIGKILL', 'KILL', 'SIGUSR1', 'HUP', 9, 15] as $signal) {
            self::assertSame($signal, Broadcast::revoke('a', true, $signal)->arguments['signal']);
        }
    }

    /**
     * @return iterable<string, array{\Closure(): Broadcast, string}>
     */
    public static function invalid(): iterable
    {
        yield 'empty id' => [static fn () => Broadcast::revoke(''), '"task_id"'];
        yield 'control character' => [static fn () => Broadcast::revoke("a\nb"), '"task_id"'];
        yield 'no ids' => [static fn () => Broadcast::revoke([]), 'non-empty list'];
        yield 'id map' => [static fn () => Broadcast::revoke(['x' => 'a']), 'non-empty list'];
        yield 'not a string' => [static fn () => Broadcast::revoke([1]), '"task_id"'];
        yield 'lower-case signal' => [static fn () => Broadcast::revoke('a', true, 'sigkill'), 'upper-case'];
        yield 'unknown signal' => [static fn () => Broadcast::revoke('a', true, 'SIGNOPE'), 'upper-case'];
        yield 'SIG_DFL' => [static fn () => Broadcast::revoke('a', true, 'SIG_DFL'), 'upper-case'];
        yield 'signal 0' => [static fn () => Broadcast::revoke('a', true, 0), 'from 1 to 64'];
        yield 'no destination' => [static fn () => Broadcast::revoke('a', destination: []), 'node names'];
        yield 'no stamps' => [static fn () => Broadcast::revokeByStampedHeaders([]), 'stamp name => value'];
        yield 'stamps as a list' => [static fn () => Broadcast::revokeByStampedHeaders(['b-1']), 'stamp name => value'];
        yield 'stamp not text' => [static fn () => Broadcast::revokeByStampedHeaders(['batch' => 7]), 'the stamp "batch"'];
        yield 'stamp list with a number' => [
            static fn () => Broadcast::revokeByStampedHeaders(['batch' => ['b-1', 2]]),
            'the stamp "batch"',
        ];
        yield 'bare host' => [static fn () => Broadcast::revoke('a', destination: ['host']), 'name@host'];
        yield 'trailing newline' => [static fn () => Broadcast::revoke('a', destination: ["celery@host\n"]), 'name@host'];
        yield 'empty name' => [static fn () => Broadcast::revoke('a', destination: ['@host']), 'name@host'];
    }

    /**
     * @dataProvider invalid
     */
    public function testInvalidArgumentsAreRefused(\Closure $make, string $message): void
    {
        $this->expectException(InvalidControlCommand::class);
        $this->expectExceptionMessage($message);
        $make();
    }
}
