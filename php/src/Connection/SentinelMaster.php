<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\NoSentinelMaster;
use CeleryBridge\Exception\ReadOnlyReplica;

/**
 * The master a sentinel:// URL leads to: its name (master_name), how to reach it once a
 * sentinel names its address (the URL's credentials, database, TLS and timeouts), and how to
 * ask. Loaded only for sentinel URLs.
 *
 * @internal
 */
final class SentinelMaster
{
    private function __construct(
        public readonly string $name,
        private readonly Dsn $master,
        private readonly ?TlsOptions $masterTls,
        private readonly float $connectTimeout,
        private readonly float $readTimeout,
        private readonly int $minOtherSentinels,
    ) {
    }

    /**
     * The sentinels to ask, and the master they lead to.
     *
     * @return array{list<Endpoint>, self}
     * @throws InvalidConfiguration without master_name
     */
    public static function of(Dsn $dsn, ConnectionOptions $options, float $connectTimeout, float $readTimeout): array
    {
        $settings = $options->sentinel;
        if ($settings?->masterName === null) {
            throw InvalidConfiguration::invalid(
                $options->role->transportOptionsSetting() . '[master_name]',
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
                $settings->username,
                $settings->password(),
                0,
                $settings->connectTimeout ?? $connectTimeout,
                $settings->readTimeout ?? $readTimeout,
            );
        }
        $master = new self(
            $settings->masterName,
            $dsn,
            Topology::tlsOf($dsn, $options),
            $dsn->connectTimeout ?? $connectTimeout,
            $dsn->readTimeout ?? $readTimeout,
            $settings->minOtherSentinels,
        );
        return [$sentinels, $master];
    }

    /**
     * Asks the sentinels, in order, for the master; the first usable answer wins (as redis-py).
     *
     * @param list<Endpoint> $sentinels
     * @param ClientConnection $via opens a socket of its client library to each sentinel
     *
     * @throws NoSentinelMaster
     */
    public function resolve(array $sentinels, ClientConnection $via): Endpoint
    {
        $name = $this->name;
        $problems = [];
        $last = null;
        foreach ($sentinels as $sentinel) {
            try {
                $client = $via->openOn($sentinel, false);
                try {
                    $reply = $via->raw($client, $sentinel, ['SENTINEL', 'MASTER', $name]);
                } finally {
                    $via->disconnect($client);
                }
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

    /**
     * Sentinel may name a server that has just been demoted; redis-py finds out on the first
     * READONLY, we ask ROLE once per connection.
     *
     * @throws ConnectionFailed|ReadOnlyReplica
     */
    public static function checkMaster(ClientConnection $via, #[\SensitiveParameter] object $client, Endpoint $endpoint): void
    {
        $role = $via->raw($client, $endpoint, ['ROLE']);
        $name = is_array($role) ? (string) ($role[0] ?? '') : '';
        if ($name !== 'master') {
            $via->disconnect($client);
            throw ReadOnlyReplica::roleIs($endpoint->describe(), $name);
        }
    }

    /**
     * @param list<Endpoint> $sentinels
     */
    public function describe(array $sentinels): string
    {
        return sprintf(
            'master "%s" via sentinel %s',
            $this->name,
            implode(',', array_map(static fn (Endpoint $e): string => $e->describe(), $sentinels)),
        );
    }

    private function masterEndpoint(string $host, int $port): Endpoint
    {
        $dsn = $this->master;
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
