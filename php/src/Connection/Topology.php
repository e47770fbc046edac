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
        public readonly ?string $masterName,
        private readonly ?Dsn $master,
        private readonly ?TlsOptions $masterTls,
        private readonly float $connectTimeout,
        private readonly float $readTimeout,
        public readonly int $minOtherSentinels,
        public readonly int $database,
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
            return new self($endpoints, null, null, null, $connectTimeout, $readTimeout, 0, $dsn->database);
        }

        if ($options->masterName === null) {
            throw InvalidConfiguration::invalid(
                $options->role === Dsn::BACKEND ? 'result_backend_transport_options[master_name]' : 'broker_transport_options[master_name]',
                null,
                'a sentinel:// URL needs the name of the master the sentinels monitor (kombu raises '
                . '"\'master_name\' transport option must be specified").',
            );
        }
        $sentinels = [];
        foreach ($dsn->nodes() as $node) {
            $sentinels[] = Endpoint::tcp(
                $node->host,
                $node->port,
                $options->sentinelUsername,
                $options->sentinelPassword(),
                0,
                $options->sentinelConnectTimeout ?? $connectTimeout,
                $options->sentinelReadTimeout ?? $readTimeout,
            );
        }
        $tls = self::tlsOf($dsn, $options);
        return new self(
            $sentinels,
            $options->masterName,
            $dsn,
            $tls,
            $dsn->connectTimeout ?? $connectTimeout,
            $dsn->readTimeout ?? $readTimeout,
            $options->minOtherSentinels,
            $dsn->database,
        );
    }

    /**
     * A topology of one known server (an injected client).
     */
    public static function single(Endpoint $endpoint): self
    {
        return new self([$endpoint], null, null, null, $endpoint->connectTimeout, $endpoint->readTimeout, 0, $endpoint->database);
    }

    public function isSentinel(): bool
    {
        return $this->masterName !== null;
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
        $name = (string) $this->masterName;
        $problems = [];
        $last = null;
        foreach ($this->endpoints as $sentinel) {
            try {
                $reply = $ask($sentinel, ['SENTINEL', 'MASTER', $name]);
            } catch (ConnectionFailed $e) {
                $problems[$sentinel->describe()] = self::shorten($e->getMessage(), $sentinel->describe());
                $last = $e;
                continue;
            }
            $state = self::pairs($reply);
            $flags = explode(',', $state['flags'] ?? '');
            if (!isset($state['ip'], $state['port']) || !in_array('master', $flags, true)) {
                $problems[$sentinel->describe()] = 'no master in its answer';
                continue;
            }
            if (in_array('s_down', $flags, true) || in_array('o_down', $flags, true)) {
                $problems[$sentinel->describe()] = sprintf('master %s:%s is down (%s)', $state['ip'], $state['port'], $state['flags']);
                continue;
            }
            if ((int) ($state['num-other-sentinels'] ?? 0) < $this->minOtherSentinels) {
                $problems[$sentinel->describe()] = sprintf(
                    'sees %d other sentinels, min_other_sentinels is %d',
                    (int) ($state['num-other-sentinels'] ?? 0),
                    $this->minOtherSentinels,
                );
                continue;
            }
            return $this->masterEndpoint($state['ip'], (int) $state['port']);
        }
        throw NoSentinelMaster::forMaster($name, $problems, $last);
    }

    public function describe(): string
    {
        if ($this->isSentinel()) {
            return sprintf(
                'master "%s" via sentinel %s',
                (string) $this->masterName,
                implode(',', array_map(static fn (Endpoint $e): string => $e->describe(), $this->endpoints)),
            );
        }
        return $this->endpoints[0]->describe();
    }

    private function masterEndpoint(string $host, int $port): Endpoint
    {
        $dsn = $this->master ?? throw new \LogicException('Not a sentinel topology.');
        if ($this->masterTls !== null) {
            return Endpoint::tls(
                $host,
                $port,
                $this->masterTls->streamContext($host),
                $dsn->username,
                $dsn->password(),
                $dsn->database,
                $this->connectTimeout,
                $this->readTimeout,
            );
        }
        return Endpoint::tcp($host, $port, $dsn->username, $dsn->password(), $dsn->database, $this->connectTimeout, $this->readTimeout);
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
     * The TLS options of one URL: its query over the *_use_ssl setting, with Celery's defaults;
     * null for plain TCP.
     *
     * @throws InvalidBrokerUrl
     */
    public static function tlsOf(Dsn $node, ConnectionOptions $options): ?TlsOptions
    {
        if ($node->tls === null && $options->tls === null) {
            return null;
        }
        $tls = ($node->tls ?? TlsOptions::none())->over($options->tls ?? TlsOptions::none());
        if ($tls->certReqs !== null) {
            return $tls;
        }
        if ($tls->isEmpty()) {
            // Celery's backend raises ValueError here. kombu's broker warns "Secure redis scheme
            // specified (rediss) with no ssl options, defaulting to insecure SSL behaviour" and
            // skips certificate checks: refused here too, so that nobody loses them unknowingly.
            throw InvalidBrokerUrl::because(
                (string) $node,
                sprintf(
                    'a rediss:// %s needs ssl_cert_reqs (required, optional or none) in the URL or in %s. '
                    . 'Without it Celery %s; add ?ssl_cert_reqs=required (with ssl_ca_certs if your CA is not '
                    . 'the system\'s), or ?ssl_cert_reqs=none to skip verification knowingly.',
                    $options->role === Dsn::BACKEND ? 'result backend' : 'broker',
                    $options->role === Dsn::BACKEND ? 'redis_backend_use_ssl' : 'broker_use_ssl',
                    $options->role === Dsn::BACKEND ? 'raises ValueError' : '(kombu) would not verify the server certificate',
                ),
            );
        }
        // Options without ssl_cert_reqs keep redis-py's default, CERT_REQUIRED.
        return $tls->withCertReqs(TlsOptions::REQUIRED);
    }

    /**
     * @return array<string, string>
     */
    private static function pairs(mixed $reply): array
    {
        if (!is_array($reply)) {
            return [];
        }
        if (!array_is_list($reply)) {
            return array_map('strval', array_filter($reply, 'is_scalar'));
        }
        $pairs = [];
        for ($i = 0; $i + 1 < count($reply); $i += 2) {
            if (is_scalar($reply[$i]) && is_scalar($reply[$i + 1])) {
                $pairs[(string) $reply[$i]] = (string) $reply[$i + 1];
            }
        }
        return $pairs;
    }

    private static function shorten(string $message, string $server): string
    {
        $prefix = sprintf('Redis at %s', $server);
        $message = str_starts_with($message, $prefix) ? ltrim(substr($message, strlen($prefix)), ': ') : $message;
        $dot = strpos($message, '. ');
        return $dot === false ? $message : substr($message, 0, $dot);
    }
}
