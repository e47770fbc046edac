<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidBrokerUrl;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\NoSentinelMaster;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function preg_match;
use function rawurldecode;

/**
 * Where a URL plus the connection settings lead: a list of servers tried in order (kombu's
 * failover list; one entry for a plain URL), or Sentinel nodes that name the master; and
 * opening the first of them that answers (open()).
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
     * Where a broker_url or result_backend URL leads with these settings.
     *
     * @throws InvalidBrokerUrl|InvalidConfiguration when URL and settings together are not something Celery accepts
     */
    public static function fromUrl(#[\SensitiveParameter] string $url, ConnectionOptions $options): self
    {
        // The common URL, redis://[[user]:password@]host[:port][/db] (a lower-case host name or
        // an IPv4 address; user and password of characters a URL leaves as they are, or
        // percent-encoded; no options) without TLS settings, is read here without the general
        // parser: one server, as Dsn and fromDsn() make it (TopologyTest compares them). Any
        // other URL is Dsn's (which refuses it when kombu would). (One match: a PHP-FPM request
        // reads its URL once, and the general parser costs it about 60,000 instructions.)
        if (
            $options->tls !== null
            // (Without user info first, its groups 1 and 2 empty: that match is the cheaper one.)
            || (preg_match('~^redis://()()([a-z0-9.-]+)(?::([0-9]{1,5}))?(?:/([0-9]{0,9}))?$~D', $url, $parts, PREG_UNMATCHED_AS_NULL) !== 1
                && preg_match(
                    '~^redis://((?:[A-Za-z0-9_.\~!$&\'()*+,=-]|%[0-9A-Fa-f]{2})*)'
                    . ':((?:[A-Za-z0-9_.\~!$&\'()*+,=-]|%[0-9A-Fa-f]{2})+)@([a-z0-9.-]+)'
                    . '(?::([0-9]{1,5}))?(?:/([0-9]{0,9}))?$~D',
                    $url,
                    $parts,
                    PREG_UNMATCHED_AS_NULL,
                ) !== 1)
            || ($parts[4] !== null && ((int) $parts[4] < 1 || (int) $parts[4] > 65535))
        ) {
            return self::fromDsn(Dsn::fromString($url, $options->role), $options);
        }
        $endpoint = Endpoint::tcp(
            $parts[3],
            $parts[4] === null ? 6379 : (int) $parts[4],
            // As urllib: percent-decoded, and an empty user name or password is none.
            $parts[1] === '' ? null : rawurldecode($parts[1]),
            $parts[2] === '' ? null : rawurldecode($parts[2]),
            (int) $parts[5],
            $options->connectTimeout ?? ConnectionOptions::DEFAULT_CONNECT_TIMEOUT,
            // (ConnectionOptions::defaultReadTimeout(), without the call.)
            $options->readTimeout ?? ($options->role === Role::Backend
                ? ConnectionOptions::DEFAULT_BACKEND_READ_TIMEOUT : ConnectionOptions::DEFAULT_READ_TIMEOUT),
        );
        return new self([$endpoint], $endpoint->database);
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
     * @throws NoSentinelMaster
     */
    public function resolveMaster(ClientConnection $via): Endpoint
    {
        return ($this->sentinel ?? throw new \LogicException('Not a sentinel topology.'))->resolve($this->endpoints, $via);
    }

    /**
     * Opens the first server of the failover list that answers, or the master Sentinel names,
     * with $via's client library; a $deadline (Clock::now() time) bounds each connect.
     *
     * @return array{object, Endpoint} the client and the server it is connected to
     * @throws ConnectionFailed
     */
    public function open(ClientConnection $via, ConnectionOptions $options, ?float $deadline): array
    {
        $failures = [];
        foreach ($this->sentinel === null ? $this->endpoints : [$this->resolveMaster($via)] as $endpoint) {
            try {
                $bounded = $deadline === null ? $endpoint : $endpoint->boundedBy($deadline, 'connect');
                $client = $via->openOn($bounded, $options->persistent);
                if ($this->sentinel !== null) {
                    SentinelMaster::checkMaster($via, $client, $endpoint);
                }
                if ($options->clientName !== null) {
                    $via->raw($client, $endpoint, ['CLIENT', 'SETNAME', $options->clientName]);
                }
                if (
                    $endpoint->transport === Endpoint::TLS && $endpoint->password() === null && $endpoint->database === 0
                    && $options->clientName === null && $this->sentinel === null
                ) {
                    // A TLS server that wants a client certificate closes the connection at the
                    // first command: let that be this PING (nothing sent), not a task's LPUSH,
                    // whose outcome would be unknown. (AUTH or SELECT play this part otherwise.)
                    $via->raw($client, $endpoint, ['PING']);
                }
            } catch (ConnectionFailed $e) {
                $failures[] = $e;
                continue;
            }
            return [$client, $endpoint];
        }
        throw Connector::firstFailure($failures);
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
