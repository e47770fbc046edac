<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

/**
 * The URLs of a failover list and the one a connection uses now, as kombu goes through
 * them: the first is the list's first, or a random one with broker_failover_strategy
 * 'shuffle'; after a failure the next of the list (round robin). An empty list is a
 * connection the user injected: there is no other node to go to.
 *
 * @internal
 */
final class FailoverNodes
{
    private int $at;

    /** @param list<AmqpUrl> $nodes */
    public function __construct(private readonly array $nodes, bool $shuffle)
    {
        $this->at = $shuffle && count($nodes) > 1 ? random_int(0, count($nodes) - 1) : 0;
    }

    /** The URL in use; null for an injected connection. */
    public function current(): ?AmqpUrl
    {
        return $this->nodes[$this->at] ?? null;
    }

    public function server(): string
    {
        return $this->current()?->server() ?? 'an injected connection';
    }

    /**
     * The heartbeat negotiated with the node in use (its URL's ?heartbeat= wins over
     * broker_heartbeat); null for an injected connection, whose settings are not ours.
     */
    public function heartbeat(AmqpSettings $settings): ?int
    {
        $url = $this->current();
        return $url === null ? null : $url->heartbeat ?? $settings->heartbeat;
    }

    /** Round robin: the next attempt goes to the next URL of the list. */
    public function next(): void
    {
        if (count($this->nodes) > 1) {
            $this->at = ($this->at + 1) % count($this->nodes);
        }
    }
}
