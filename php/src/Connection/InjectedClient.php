<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * A client the application connected itself and passes as broker or backend (instead of a
 * URL): refused when Celery workers could not read what it writes, and read back for where it
 * points. Loaded only for injected clients.
 *
 * @internal
 */
final class InjectedClient
{
    /**
     * A connection on a client the application connected: a \Redis or a Predis client.
     *
     * @param Role $role whose argument the client was given, for the messages
     * @throws InvalidConfiguration another object, or a client Celery workers could not share
     */
    public static function connection(#[\SensitiveParameter] object $target, Role $role): RedisConnection
    {
        if ($target instanceof \RedisCluster) {
            // (predisEndpoint() refuses a Predis cluster itself.)
            throw InvalidConfiguration::invalid($role->value, $target, self::clusterRefusal());
        }
        if ($target instanceof \RedisSentinel) {
            throw InvalidConfiguration::invalid(
                $role->value,
                $target,
                'a \RedisSentinel talks to a sentinel, not to the master: pass the URL '
                . 'sentinel://host:26379;sentinel://host2:26379 with broker_transport_options master_name.',
            );
        }
        if ($target instanceof \Redis) {
            return PhpRedisConnection::injected($target, self::phpRedisEndpoint($target));
        }
        if ($target instanceof \Predis\ClientInterface) {
            return PredisConnection::injected($target, self::predisEndpoint($target));
        }
        throw InvalidConfiguration::invalid(
            $role->value,
            $target,
            'expected a Redis URL (redis://, rediss://, redis+socket://, sentinel://), a connected \Redis or a Predis client.',
        );
    }

    /**
     * Where an injected \Redis points, once it is known to write what Celery workers read.
     *
     * @throws InvalidConfiguration not connected, or with a key prefix, serializer or compression
     */
    public static function phpRedisEndpoint(#[\SensitiveParameter] \Redis $redis): Endpoint
    {
        if (!$redis->isConnected()) {
            throw InvalidConfiguration::invalid(
                'broker',
                $redis,
                'the \Redis client is not connected: call connect() or pconnect() first, or pass a URL.',
            );
        }
        $prefix = $redis->getOption(\Redis::OPT_PREFIX);
        if (is_string($prefix) && $prefix !== '') {
            throw InvalidConfiguration::invalid(
                'broker',
                $redis,
                sprintf('the \Redis client has Redis::OPT_PREFIX "%s"; Celery workers would not find the '
                    . 'prefixed keys. Unset it and set broker_transport_options global_keyprefix instead, '
                    . 'as on the workers.', $prefix),
            );
        }
        if ($redis->getOption(\Redis::OPT_SERIALIZER) !== \Redis::SERIALIZER_NONE) {
            throw InvalidConfiguration::invalid(
                'broker',
                $redis,
                'the \Redis client has a Redis::OPT_SERIALIZER set; Celery messages must be written as they '
                . 'are. Use a client with Redis::SERIALIZER_NONE.',
            );
        }
        if (defined('Redis::OPT_COMPRESSION') && $redis->getOption(\Redis::OPT_COMPRESSION) !== \Redis::COMPRESSION_NONE) {
            throw InvalidConfiguration::invalid(
                'broker',
                $redis,
                'the \Redis client has Redis::OPT_COMPRESSION set; Celery workers could not read the messages.',
            );
        }
        return self::whereConnected($redis);
    }

    /**
     * Where a Predis client the caller configured points (a single server, or Predis' own
     * replication or Sentinel setup, whose writes go to the master), once it is known to write
     * what Celery workers read.
     *
     * @throws InvalidConfiguration a cluster, a key prefix, or no single connection
     */
    public static function predisEndpoint(#[\SensitiveParameter] \Predis\ClientInterface $client): Endpoint
    {
        $connection = $client->getConnection();
        $clusterInterfaces = ['Predis\Connection\Aggregate\ClusterInterface', 'Predis\Connection\Cluster\ClusterInterface'];
        foreach ($clusterInterfaces as $interface) {
            if ($connection instanceof $interface) {
                throw InvalidConfiguration::invalid('broker', $client, self::clusterRefusal());
            }
        }
        $options = $client->getOptions();
        $prefix = isset($options->prefix) ? $options->prefix : null;
        if ($prefix !== null) {
            $text = is_object($prefix) && method_exists($prefix, 'getPrefix') ? (string) $prefix->getPrefix() : 'set';
            throw InvalidConfiguration::invalid(
                'broker',
                $client,
                sprintf('the Predis client has the option prefix "%s"; Celery workers would not find the prefixed '
                    . 'keys. Drop it and set broker_transport_options global_keyprefix instead, as on the workers.', $text),
            );
        }
        return self::predisServer($client);
    }

    private static function clusterRefusal(): string
    {
        return 'Redis Cluster cannot be a Celery broker or result backend: kombu\'s Redis transport needs '
            . 'all queues, bindings and pub/sub channels of one keyspace on one server, and Celery does not '
            . 'support it either. Use a standalone Redis, or Sentinel (sentinel://...) for failover.';
    }

    private static function predisServer(#[\SensitiveParameter] \Predis\ClientInterface $client): Endpoint
    {
        $connection = $client->getConnection();
        if (!method_exists($connection, 'getParameters') && method_exists($connection, 'getMaster')) {
            $connection = $connection->getMaster();
        }
        if (!is_object($connection) || !method_exists($connection, 'getParameters')) {
            throw InvalidConfiguration::invalid('broker', $client, 'the Predis client has no single connection to read the server from.');
        }
        $p = $connection->getParameters();
        $connect = isset($p->timeout) ? (float) $p->timeout : ConnectionOptions::DEFAULT_CONNECT_TIMEOUT;
        $read = isset($p->read_write_timeout) && (float) $p->read_write_timeout > 0
            ? (float) $p->read_write_timeout
            : ConnectionOptions::DEFAULT_READ_TIMEOUT;
        $username = isset($p->username) && $p->username !== '' ? (string) $p->username : null;
        $password = isset($p->password) && $p->password !== '' ? (string) $p->password : null;
        $database = isset($p->database) ? (int) $p->database : 0;
        $scheme = isset($p->scheme) ? strtolower((string) $p->scheme) : 'tcp';
        if ($scheme === 'unix') {
            return Endpoint::unix((string) $p->path, $username, $password, $database, $connect, $read);
        }
        $host = (string) ($p->host ?? '127.0.0.1');
        $port = (int) ($p->port ?? 6379);
        if ($scheme === 'tls' || $scheme === 'rediss') {
            $ssl = isset($p->ssl) && is_array($p->ssl) ? $p->ssl : [];
            return Endpoint::tls($host, $port, $ssl + ['peer_name' => $host], $username, $password, $database, $connect, $read);
        }
        return Endpoint::tcp($host, $port, $username, $password, $database, $connect, $read);
    }

    /**
     * Reads back where an already connected phpredis client points. phpredis reports a unix
     * socket as host = path and port -1, and keeps a `tls://` prefix on the host.
     */
    private static function whereConnected(\Redis $redis): Endpoint
    {
        $host = (string) $redis->getHost();
        $port = (int) $redis->getPort();
        $auth = $redis->getAuth();
        [$username, $password] = match (true) {
            is_array($auth) && count($auth) >= 2 => [(string) $auth[0], (string) $auth[1]],
            is_array($auth) && count($auth) === 1 => [null, (string) reset($auth)],
            is_string($auth) && $auth !== '' => [null, $auth],
            default => [null, null],
        };
        $database = (int) $redis->getDbNum();
        $connect = (float) $redis->getTimeout();
        $read = (float) $redis->getReadTimeout();
        $connect = $connect > 0 ? $connect : ConnectionOptions::DEFAULT_CONNECT_TIMEOUT;
        $read = $read > 0 ? $read : ConnectionOptions::DEFAULT_READ_TIMEOUT;

        if ($host === '') {
            throw InvalidConfiguration::invalid(
                'broker',
                $redis,
                'the \Redis client is not connected; call connect() or pconnect() before passing it.',
            );
        }
        if ($port <= 0 || str_starts_with($host, '/') || str_starts_with($host, 'unix://')) {
            $path = str_starts_with($host, 'unix://') ? substr($host, 7) : $host;
            return Endpoint::unix($path, $username, $password, $database, $connect, $read);
        }
        if (preg_match('#^(tls|ssl)://(.+)$#i', $host, $m) === 1) {
            // The context phpredis was given is not readable back; the CA the system trusts
            // is the best guess, so verification stays on.
            return Endpoint::tls(self::unbracket($m[2]), $port, [], $username, $password, $database, $connect, $read);
        }
        $host = preg_replace('#^tcp://#i', '', $host) ?? $host;
        return Endpoint::tcp(self::unbracket($host), $port, $username, $password, $database, $connect, $read);
    }

    private static function unbracket(string $host): string
    {
        return str_starts_with($host, '[') && str_ends_with($host, ']') ? substr($host, 1, -1) : $host;
    }
}
