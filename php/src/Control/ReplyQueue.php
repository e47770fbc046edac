<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Broker\QueueKeys;
use CeleryBridge\Connection\Clock;
use CeleryBridge\Connection\RedisConnection;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionTimedOut;
use CeleryBridge\Wire\Envelope;
use CeleryBridge\Wire\Uuid;

/**
 * Where the workers answer one inspect command, as kombu's pidbox sets it up on Redis: the
 * queue "<routing key>.reply.<exchange>.pidbox", bound to the reply exchange by a member of
 * its binding set (joined with the broker's sep, by which the workers split it). Each worker
 * LPUSHes {"<node name>": <reply>} there, tagged with the command's ticket; close() removes
 * the binding and the queue.
 *
 * @internal
 */
final class ReplyQueue
{
    /** How late Redis may answer a BRPOP whose time ran out (its cron runs 10 times a second). */
    private const LATE = 0.11;

    public readonly string $routingKey;
    public readonly string $ticket;
    private readonly string $queue;
    /** @var array{string, string} the binding set and this queue's member in it */
    private readonly array $binding;
    private readonly Clock $clock;

    /**
     * @param Clock|null $clock what collect()'s deadline is a reading of (the system clock)
     * @throws ConnectionFailed
     */
    public function __construct(
        private readonly RedisConnection $connection,
        QueueKeys $keys,
        public readonly string $exchange,
        ?Clock $clock = null,
    ) {
        $this->clock = $clock ?? Clock::system();
        $this->routingKey = Uuid::v4();
        $this->ticket = Uuid::v4();
        $queue = $this->routingKey . '.' . $exchange;
        $this->queue = $keys->key($queue);
        // kombu's binding member, "<routing key><sep><pattern><sep><queue>", without a pattern.
        $this->binding = [
            $keys->key('_kombu.binding.' . $exchange),
            $this->routingKey . $keys->sep . $keys->sep . $queue,
        ];
        $connection->transaction([['SADD', ...$this->binding]]);
    }

    /**
     * The replies until $deadline (a reading of the clock), or until $limit workers
     * answered (0: no limit). Run it under the connection's deadline (withDeadline()).
     *
     * @return array<string, mixed> node name => its reply, in the order they came
     * @throws ConnectionFailed
     */
    public function collect(float $deadline, int $limit): array
    {
        $replies = [];
        // Redis ends a BRPOP that timed out on its next cron tick (hz 10 by default: up to 100 ms
        // late), so each wait ends that much before the deadline and its "nothing" still comes in
        // time; after the first wait, the last LATE seconds are not waited for.
        $waited = false;
        while (($left = $this->clock->left($deadline)) > 0.001 && ($limit === 0 || count($replies) < $limit)) {
            if ($waited && $left <= self::LATE) {
                break;
            }
            $waited = true;
            try {
                $popped = $this->connection->withDeadline(
                    $deadline,
                    fn (): ?array => $this->connection->brPop([$this->queue], max(0.001, $left - self::LATE)),
                );
            } catch (ConnectionTimedOut) {
                // The server answered later still (a higher hz lag, a busy server, or Redis 5,
                // whose BRPOP waits whole seconds): the time for replies is up. close() tells
                // whether the server answers at all.
                break;
            }
            if ($popped === null) {
                continue;
            }
            foreach ($this->reply($popped[1]) ?? [] as $node => $answer) {
                $replies[(string) $node] = $answer;
            }
        }
        return $replies;
    }

    /**
     * @throws ConnectionFailed
     */
    public function close(): void
    {
        $this->connection->transaction([['SREM', ...$this->binding], ['DEL', $this->queue]]);
    }

    /**
     * The {"<node>": <reply>} of a reply envelope for this ticket; null for anything else.
     *
     * @return array<string, mixed>|null
     */
    private function reply(string $envelope): ?array
    {
        [$headers, $body] = Envelope::decodeJson($envelope) ?? [[], null];
        if (($headers['ticket'] ?? null) !== $this->ticket) {
            return null;
        }
        return is_array($body) && !array_is_list($body) ? $body : null;
    }
}
