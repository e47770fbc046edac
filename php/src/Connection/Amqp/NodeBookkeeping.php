<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

/**
 * What both AmqpConnection implementations keep besides the library's objects: the failover
 * list and the node in use, when the connection was last used, and how many connections were
 * made (the declarations kombu caches are per connection).
 *
 * @internal
 */
trait NodeBookkeeping
{
    private int $generation = 0;
    private readonly IdleConnection $idle;
    private readonly FailoverNodes $nodes;

    /**
     * @param list<AmqpUrl> $nodes
     * @param bool $injected a connected client given by the user: connection 1, no failover
     */
    private function keepNodes(array $nodes, bool $shuffle, bool $injected): void
    {
        $this->nodes = new FailoverNodes($nodes, $shuffle);
        $this->idle = new IdleConnection();
        $this->generation = $injected ? 1 : 0;
    }

    public function server(): string
    {
        return $this->nodes->server();
    }

    public function generation(): int
    {
        return $this->generation;
    }

    abstract public function close(): void;

    /** Replaces a connection idle for a heartbeat interval or more (see IdleConnection). */
    private function closeIfHeartbeatMissed(AmqpSettings $settings): void
    {
        if ($this->idle->heartbeatExpired($this->nodes->heartbeat($settings) ?? 0)) {
            $this->close();
        }
    }
}
