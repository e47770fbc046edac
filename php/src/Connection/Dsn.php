<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidBrokerUrl;

/**
 * A parsed Celery Redis URL, read the way kombu reads `broker_url` or Celery reads
 * `result_backend`:
 *
 *     redis://[[user]:password@]host[:port][/db]
 *     rediss://...?ssl_cert_reqs=required&ssl_ca_certs=/path/ca.pem
 *     redis+socket:///path/redis.sock?virtual_host=<db>      (unix:///path?db=<db> also read)
 *     sentinel://[[user]:password@]h1:26379[/db];sentinel://h2:26379
 *     url1;url2                                               (failover list)
 *
 * This object is the first URL; the others of a `;` list are in `alternates`. User info,
 * host and path are percent-decoded like kombu does. `__toString()` masks the password.
 */
final class Dsn
{
    public const BROKER = 'broker';
    public const BACKEND = 'backend';

    /** kombu's connection arguments that a broker URL query may carry but mean nothing for Redis. */
    private const BROKER_IGNORED = ['heartbeat', 'insist', 'login_method'];
    /** redis-py connection arguments accepted on a query and meaning nothing for a PHP client. */
    private const REDIS_PY_IGNORED = [
        'socket_keepalive',
        'socket_read_size',
        'retry_on_timeout',
        'retry_on_error',
        'max_connections',
        'health_check_interval',
        'client_name',
        'protocol',
    ];

    /** Kept wrapped: var_dump(), print_r(), var_export() and traces never show it. */
    private readonly ?\SensitiveParameterValue $passwordSecret;

    /** The password from the URL, percent-decoded. */
    public function password(): ?string
    {
        return $this->passwordSecret?->getValue();
    }

    /**
     * @param array<string, string> $query the accepted query options, as given
     * @param list<Dsn> $alternates
     */
    private function __construct(
        public readonly string $role,
        public readonly string $scheme,
        public readonly string $transport,
        public readonly string $host,
        public readonly int $port,
        public readonly ?string $path,
        public readonly int $database,
        public readonly ?string $username,
        #[\SensitiveParameter] ?string $password,
        public readonly ?TlsOptions $tls,
        public readonly ?float $connectTimeout,
        public readonly ?float $readTimeout,
        private readonly array $query,
        public readonly array $alternates,
    ) {
        $this->passwordSecret = $password === null ? null : new \SensitiveParameterValue($password);
    }

    /**
     * @param string $role Dsn::BROKER for `broker_url` (kombu's rules) or Dsn::BACKEND for
     *                     `result_backend` (Celery's RedisBackend rules)
     *
     * @throws InvalidBrokerUrl naming the part Celery would reject
     */
    public static function fromString(#[\SensitiveParameter] string $url, string $role = self::BROKER): self
    {
        if ($role !== self::BROKER && $role !== self::BACKEND) {
            throw new \InvalidArgumentException(sprintf('Unknown role "%s".', $role));
        }
        $pieces = explode(';', $url);
        $nodes = [];
        foreach ($pieces as $index => $piece) {
            $piece = trim($piece);
            if ($piece === '') {
                throw InvalidBrokerUrl::because(
                    self::mask($url),
                    sprintf('entry %d of the ";"-separated list is empty.', $index + 1),
                );
            }
            $nodes[] = self::parseOne($piece, $role);
        }
        $first = array_shift($nodes);
        $sentinels = array_filter([$first, ...$nodes], static fn (self $n): bool => $n->isSentinel());
        if ($sentinels !== [] && count($sentinels) !== count($nodes) + 1) {
            throw InvalidBrokerUrl::because(
                self::mask($url),
                'a list mixes sentinel:// with other schemes; kombu would ignore the non-sentinel entries. '
                . 'List only sentinels (the master comes from them), or only redis:// servers.',
            );
        }
        return $first->withAlternates($nodes);
    }

    public function isSentinel(): bool
    {
        return $this->scheme === 'sentinel';
    }

    /**
     * This URL and its alternates, in order, each without alternates.
     *
     * @return list<Dsn>
     */
    public function nodes(): array
    {
        return [$this->withAlternates([]), ...$this->alternates];
    }

    /** host:port (or the socket path) of the first URL, for messages. */
    public function server(): string
    {
        if ($this->transport === Endpoint::UNIX) {
            return 'unix:' . $this->path;
        }
        return sprintf('%s:%d', str_contains($this->host, ':') ? '[' . $this->host . ']' : $this->host, $this->port);
    }

    public function __toString(): string
    {
        $auth = '';
        if ($this->username !== null || $this->password() !== null) {
            $auth = rawurlencode($this->username ?? '') . ($this->password() !== null ? ':****' : '') . '@';
        }
        if ($this->transport === Endpoint::UNIX) {
            $text = sprintf('%s://%s%s', $this->scheme, $auth, $this->path);
        } else {
            $text = sprintf('%s://%s%s/%d', $this->scheme, $auth, $this->server(), $this->database);
        }
        $query = $this->query;
        if (isset($query['ssl_password'])) {
            $query['ssl_password'] = '****';
        }
        if ($query !== []) {
            $text .= '?' . http_build_query($query, '', '&', PHP_QUERY_RFC3986);
        }
        foreach ($this->alternates as $alternate) {
            $text .= ';' . $alternate;
        }
        return $text;
    }

    /**
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        return ['url' => (string) $this];
    }

    /**
     * A URL for messages: the password (anything between "user:" and the last "@") masked, even
     * when the URL does not parse.
     */
    public static function mask(#[\SensitiveParameter] string $url): string
    {
        // User info runs to the last "@" of each URL of a failover list; a password may hold
        // "/", "?", "#", ";" or "@", and a mistyped "redis:/" has one slash only.
        $masked = (string) preg_replace(
            '#([A-Za-z][A-Za-z0-9+.\-]*:/{0,2}[^:@/?;\s]*:).*?@(?=[^@;]*(?:;|$))#s',
            '$1****@',
            $url,
        );
        return (string) preg_replace('#([?&;](?:ssl_password|password|passwd|pass|pwd)=)[^&;]*#i', '$1****', $masked);
    }

    /**
     * @param list<Dsn> $alternates
     */
    private function withAlternates(array $alternates): self
    {
        return new self(
            $this->role,
            $this->scheme,
            $this->transport,
            $this->host,
            $this->port,
            $this->path,
            $this->database,
            $this->username,
            $this->password(),
            $this->tls,
            $this->connectTimeout,
            $this->readTimeout,
            $this->query,
            $alternates,
        );
    }

    private static function parseOne(#[\SensitiveParameter] string $url, string $role): self
    {
        $masked = self::mask($url);
        if (preg_match('#^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$#s', $url, $m) !== 1) {
            throw InvalidBrokerUrl::because($masked, 'expected scheme://..., e.g. redis://host:6379/0.');
        }
        // urllib lower-cases the scheme.
        $scheme = strtolower($m[1]);
        $rest = $m[2];
        self::checkScheme($scheme, $masked, $role);

        $fragment = strpos($rest, '#');
        if ($fragment !== false) {
            $rest = substr($rest, 0, $fragment);
        }
        $queryText = '';
        $questionMark = strpos($rest, '?');
        if ($questionMark !== false) {
            $queryText = substr($rest, $questionMark + 1);
            $rest = substr($rest, 0, $questionMark);
        }
        $slash = strpos($rest, '/');
        $netloc = $slash === false ? $rest : substr($rest, 0, $slash);
        $path = $slash === false ? '' : substr($rest, $slash);

        // As urllib: user info ends at the last "@", the password after the first ":".
        $at = strrpos($netloc, '@');
        $userinfo = $at === false ? null : substr($netloc, 0, $at);
        $hostinfo = $at === false ? $netloc : substr($netloc, $at + 1);
        $username = null;
        $password = null;
        if ($userinfo !== null) {
            $colon = strpos($userinfo, ':');
            $username = rawurldecode($colon === false ? $userinfo : substr($userinfo, 0, $colon));
            $password = $colon === false ? null : rawurldecode(substr($userinfo, $colon + 1));
            $username = $username === '' ? null : $username;
            $password = $password === '' ? null : $password;
        }
        [$host, $port] = self::hostAndPort($hostinfo, $masked);
        $query = self::parseQuery($queryText, $masked);

        $unix = $scheme === 'redis+socket' || $scheme === 'unix';
        if ($unix) {
            return self::unixNode($role, $scheme, $path, $username, $password, $query, $masked);
        }
        return self::tcpNode($role, $scheme, $host, $port, $path, $username, $password, $query, $masked);
    }

    private static function checkScheme(string $scheme, string $masked, string $role): void
    {
        $known = ['redis', 'rediss', 'redis+socket', 'unix', 'sentinel'];
        if (in_array($scheme, $known, true)) {
            return;
        }
        $hint = match ($scheme) {
            'socket' => 'write redis+socket:///path/to/redis.sock (kombu and Celery both read that).',
            'sentinels', 'redis+sentinel' => 'write sentinel://host:26379;sentinel://host2:26379 and set master_name.',
            'tcp', 'tls' => sprintf('write %s://host:port/db.', $scheme === 'tls' ? 'rediss' : 'redis'),
            'amqp', 'amqps', 'pyamqp', 'librabbitmq', 'sqs', 'memory', 'filesystem', 'mongodb', 'sqla+sqlite'
                => 'CeleryBridge talks to Redis only.',
            default => 'expected redis, rediss, redis+socket, unix or sentinel.',
        };
        throw InvalidBrokerUrl::because(
            $masked,
            sprintf('the scheme "%s" is not a Redis %s URL: %s', $scheme, $role === self::BROKER ? 'broker' : 'result backend', $hint),
        );
    }

    /**
     * @return array{0: string, 1: ?int}
     */
    private static function hostAndPort(string $hostinfo, string $masked): array
    {
        $portText = null;
        if (str_starts_with($hostinfo, '[')) {
            $close = strpos($hostinfo, ']');
            if ($close === false) {
                throw InvalidBrokerUrl::because($masked, 'the IPv6 host has no closing "]".');
            }
            $host = substr($hostinfo, 1, $close - 1);
            $after = substr($hostinfo, $close + 1);
            if ($after !== '') {
                if (!str_starts_with($after, ':')) {
                    throw InvalidBrokerUrl::because($masked, sprintf('unexpected "%s" after the IPv6 host.', $after));
                }
                $portText = substr($after, 1);
            }
        } else {
            $colon = strpos($hostinfo, ':');
            $host = $colon === false ? $hostinfo : substr($hostinfo, 0, $colon);
            $portText = $colon === false ? null : substr($hostinfo, $colon + 1);
        }
        $port = null;
        if ($portText !== null && $portText !== '') {
            if (!ctype_digit($portText) || (int) $portText > 65535) {
                throw InvalidBrokerUrl::because(
                    $masked,
                    sprintf(
                        'the port "%s" is not a number from 1 to 65535%s.',
                        $portText,
                        str_contains($portText, ':') ? ' (put an IPv6 host in brackets: [::1]:6379)' : '',
                    ),
                );
            }
            $port = (int) $portText === 0 ? null : (int) $portText;
        }
        // urllib's hostname is lower-cased and percent-decoded.
        return [strtolower(rawurldecode($host)), $port];
    }

    /**
     * As Python's parse_qsl: "+" is a space, %XX decoded, the last of a repeated key wins.
     *
     * @return array<string, string>
     */
    private static function parseQuery(#[\SensitiveParameter] string $text, string $masked): array
    {
        $query = [];
        foreach (explode('&', $text) as $pair) {
            if ($pair === '') {
                continue;
            }
            $equals = strpos($pair, '=');
            if ($equals === false) {
                throw InvalidBrokerUrl::because($masked, sprintf('the query part "%s" has no "=value".', urldecode($pair)));
            }
            $query[urldecode(substr($pair, 0, $equals))] = urldecode(substr($pair, $equals + 1));
        }
        return $query;
    }

    /**
     * @param array<string, string> $query
     */
    private static function tcpNode(
        string $role,
        string $scheme,
        string $host,
        ?int $port,
        string $path,
        ?string $username,
        #[\SensitiveParameter] ?string $password,
        #[\SensitiveParameter] array $query,
        string $masked,
    ): self {
        // kombu strips one "/" from the path, and one more when what is left starts with "/".
        $db = rawurldecode(substr($path, 1));
        if (str_starts_with($db, '/')) {
            $db = substr($db, 1);
        }
        if ($role === self::BACKEND) {
            $db = trim($db, '/');
        }
        $database = self::database($db, 'the database', $masked);

        $ssl = [];
        $accepted = [];
        $connectTimeout = null;
        $readTimeout = null;
        foreach ($query as $key => $value) {
            if (str_starts_with($key, 'ssl_')) {
                if ($role === self::BACKEND && $scheme === 'redis') {
                    throw InvalidBrokerUrl::because(
                        $masked,
                        sprintf('the option "%s" is a TLS option on a redis:// URL; Celery\'s result backend '
                            . 'rejects that: write rediss://.', $key),
                    );
                }
                $ssl[$key] = $value;
            } elseif ($role === self::BROKER && $key === 'connect_timeout') {
                $connectTimeout = self::seconds($key, $value, $masked);
            } elseif ($role === self::BACKEND && $key === 'socket_timeout') {
                $readTimeout = self::seconds($key, $value, $masked);
            } elseif ($role === self::BACKEND && $key === 'socket_connect_timeout') {
                $connectTimeout = self::seconds($key, $value, $masked);
            } elseif ($role === self::BACKEND && $key === 'db') {
                $database = self::database($value, 'the option "db"', $masked);
            } elseif ($role === self::BACKEND && in_array($key, ['virtual_host', ...self::REDIS_PY_IGNORED], true)) {
                // Celery takes these; the db in the path wins over virtual_host on a TCP URL.
            } elseif ($role === self::BROKER && in_array($key, self::BROKER_IGNORED, true)) {
                // kombu Connection arguments that the Redis transport never uses.
            } else {
                throw self::unknownOption($key, $role, $scheme, $masked);
            }
            $accepted[$key] = $value;
        }
        $tls = null;
        if ($ssl !== [] || $scheme === 'rediss') {
            $tls = self::tls($ssl, $masked);
        }
        if ($host === '') {
            // kombu's Redis channel connects to 127.0.0.1 when the URL names no host.
            $host = '127.0.0.1';
        }
        return new self(
            $role,
            $scheme,
            $tls !== null ? Endpoint::TLS : Endpoint::TCP,
            $host,
            $port ?? ($scheme === 'sentinel' ? 26379 : 6379),
            null,
            $database,
            $username,
            $password,
            $tls,
            $connectTimeout,
            $readTimeout,
            $accepted,
            [],
        );
    }

    /**
     * @param array<string, string> $query
     */
    private static function unixNode(
        string $role,
        string $scheme,
        string $path,
        ?string $username,
        #[\SensitiveParameter] ?string $password,
        #[\SensitiveParameter] array $query,
        string $masked,
    ): self {
        $socket = rawurldecode($path);
        if ($socket === '' || $socket === '/') {
            throw InvalidBrokerUrl::because(
                $masked,
                sprintf('no socket path: write %s:///absolute/path/redis.sock (three slashes).', $scheme),
            );
        }
        $database = 0;
        $readTimeout = null;
        $accepted = [];
        foreach ($query as $key => $value) {
            if ($key === 'virtual_host' || ($key === 'db' && ($scheme === 'unix' || $role === self::BACKEND))) {
                $database = self::database($value, sprintf('the option "%s"', $key), $masked);
            } elseif ($key === 'socket_timeout') {
                $readTimeout = self::seconds($key, $value, $masked);
            } elseif (in_array($key, ['socket_connect_timeout', ...self::REDIS_PY_IGNORED], true)) {
                // redis-py arguments; kombu drops the connect timeout for sockets.
            } else {
                throw self::unknownOption($key, $role, $scheme, $masked);
            }
            $accepted[$key] = $value;
        }
        return new self(
            $role,
            $scheme,
            Endpoint::UNIX,
            '',
            0,
            $socket,
            $database,
            $username,
            $password,
            null,
            null,
            $readTimeout,
            $accepted,
            [],
        );
    }

    /**
     * @param array<string, string> $ssl
     */
    private static function tls(#[\SensitiveParameter] array $ssl, string $masked): TlsOptions
    {
        foreach (array_keys($ssl) as $key) {
            if (!in_array($key, TlsOptions::KEYS, true)) {
                throw InvalidBrokerUrl::because(
                    $masked,
                    sprintf('the TLS option "%s" is unknown; known (redis-py names): %s.', $key, implode(', ', TlsOptions::KEYS)),
                );
            }
        }
        if (isset($ssl['ssl_check_hostname'])) {
            $ssl['ssl_check_hostname'] = TlsOptions::bool($ssl['ssl_check_hostname']);
        }
        try {
            return TlsOptions::fromArray($ssl, 'URL');
        } catch (\InvalidArgumentException $e) {
            // Name the option that is wrong (TlsOptions says 'Setting "URL[ssl_...]" has ...').
            throw InvalidBrokerUrl::because(
                $masked,
                (string) preg_replace('/^Setting "URL\[([a-z_]+)\]"/', 'the TLS option "$1"', $e->getMessage()),
            );
        }
    }

    private static function unknownOption(string $key, string $role, string $scheme, string $masked): InvalidBrokerUrl
    {
        if ($key === 'credential_provider') {
            return InvalidBrokerUrl::because(
                $masked,
                'the option "credential_provider" names a Python class, which PHP cannot load: put the user and password in the URL.',
            );
        }
        if ($role === self::BROKER && $scheme !== 'redis+socket' && $scheme !== 'unix') {
            return InvalidBrokerUrl::because($masked, sprintf(
                'the option "%s" is not accepted on a broker URL (kombu raises TypeError): only ssl_* '
                . 'and connect_timeout are. Put transport options (socket_timeout, visibility_timeout, '
                . 'global_keyprefix, ...) in broker_transport_options.',
                $key,
            ));
        }
        return InvalidBrokerUrl::because($masked, sprintf(
            'the option "%s" is not a Redis connection option that CeleryBridge knows (%s).',
            $key,
            $scheme === 'redis+socket' || $scheme === 'unix'
                ? 'known: virtual_host, socket_timeout'
                : 'known: db, socket_timeout, socket_connect_timeout and the ssl_* options',
        ));
    }

    private static function database(#[\SensitiveParameter] string $text, string $what, string $masked): int
    {
        if ($text === '') {
            return 0;
        }
        if (!ctype_digit($text)) {
            throw InvalidBrokerUrl::because($masked, sprintf(
                '%s "%s" is not a number (the path of a Redis URL is the database index, e.g. /0).',
                $what,
                $text,
            ));
        }
        return (int) $text;
    }

    private static function seconds(string $key, #[\SensitiveParameter] string $value, string $masked): float
    {
        if (!is_numeric($value) || (float) $value <= 0) {
            throw InvalidBrokerUrl::because($masked, sprintf('the option "%s" is "%s", not a positive number of seconds.', $key, $value));
        }
        return (float) $value;
    }
}
