<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidBrokerUrl;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\NoSentinelMaster;

/**
 * Where a URL plus the connection settings lead: a list of servers tried in order (kombu's
 * failover list; one entry for a plain URL), or Sentinel nodes that name the master.
 *
 * @internal
 */
final class Topology
{
    /**
     * @param list<Endpoint> $endpoints servers in failover order, or the sentinels
     */
    private function __construct(
        public readonly array $endpoints,
        public readonly int $database,
        /** The master the sentinels lead to; null when the endpoints are the servers. */
        private readonly ?SentinelMaster $sentinel = null,
    ) {
    }

    /**
     * @throws InvalidBrokerUrl|InvalidConfiguration when URL and settings together are not something Celery accepts
     */
    public static function fromDsn(Dsn $dsn, ConnectionOptions $options): self
    {
        $connectTimeout = $options->connectTimeout ?? ConnectionOptions::DEFAULT_CONNECT_TIMEOUT;
        $readTimeout = $options->readTimeout ?? $options->defaultReadTimeout();
        if (!$dsn->isSentinel()) {
            $endpoints = [];
            foreach ($dsn->nodes() as $node) {
                $endpoints[] = self::endpointOf($node, $options, $connectTimeout, $readTimeout);
            }
            return new self($endpoints, $dsn->database);
        }

        [$sentinels, $master] = SentinelMaster::of($dsn, $options, $connectTimeout, $readTimeout);
        return new self($sentinels, $dsn->database, $master);
    }

    /**
     * A topology of one known server (an injected client).
     */
    public static function single(Endpoint $endpoint): self
    {
        return new self([$endpoint], $endpoint->database);
    }

    public function isSentinel(): bool
    {
        return $this->sentinel !== null;
    }

    /**
     * Asks the sentinels, in order, for the master; the first usable answer wins (as redis-py).
     *
     * @param callable(Endpoint, list<string>): mixed $ask runs a command on a sentinel, throws ConnectionFailed
     *
     * @throws NoSentinelMaster
     */
    public function resolveMaster(callable $ask): Endpoint
    {
        return ($this->sentinel ?? throw new \LogicException('Not a sentinel topology.'))->resolve($this->endpoints, $ask);
    }

    public function describe(): string
    {
        return $this->sentinel?->describe($this->endpoints) ?? $this->endpoints[0]->describe();
    }

    private static function endpointOf(
        Dsn $node,
        ConnectionOptions $options,
        float $connectTimeout,
        float $readTimeout,
    ): Endpoint {
        $connect = $node->connectTimeout ?? $connectTimeout;
        $read = $node->readTimeout ?? $readTimeout;
        if ($node->transport === Endpoint::UNIX) {
            return Endpoint::unix((string) $node->path, $node->username, $node->password(), $node->database, $connect, $read);
        }
        $tls = self::tlsOf($node, $options);
        if ($tls !== null) {
            return Endpoint::tls(
                $node->host,
                $node->port,
                $tls->streamContext($node->host),
                $node->username,
                $node->password(),
                $node->database,
                $connect,
                $read,
            );
        }
        return Endpoint::tcp($node->host, $node->port, $node->username, $node->password(), $node->database, $connect, $read);
    }

    /**
     * The TLS options of one URL (see TlsOptions::forNode()); null for plain TCP.
     *
     * @throws InvalidBrokerUrl
     */
    public static function tlsOf(Dsn $node, ConnectionOptions $options): ?TlsOptions
    {
        return $node->tls === null && $options->tls === null ? null : TlsOptions::forNode($node, $options);
    }
}
