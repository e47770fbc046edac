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
    /** @deprecated Role::Broker */
    public const BROKER = 'broker';
    /** @deprecated Role::Backend */
    public const BACKEND = 'backend';

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
        public readonly Role $role,
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
     * @param Role|string $role Role::Broker for `broker_url` (kombu's rules) or Role::Backend for
     *                          `result_backend` (Celery's RedisBackend rules); the strings
     *                          'broker' and 'backend' are deprecated
     *
     * @throws InvalidBrokerUrl naming the part Celery would reject
     */
    public static function fromString(#[\SensitiveParameter] string $url, Role|string $role = Role::Broker): self
    {
        $role = Role::of($role);
        $pieces = explode(';', $url);
        $nodes = [];
        foreach ($pieces as $index => $piece) {
            $piece = trim($piece);
            if ($piece === '') {
                throw InvalidBrokerUrl::because(
                    $url,
                    sprintf('entry %d of the list (entries are separated by ;) is empty.', $index + 1),
                );
            }
            $nodes[] = self::parseOne($piece, $role, $url);
        }
        $first = array_shift($nodes);
        $sentinels = array_filter([$first, ...$nodes], static fn (self $n): bool => $n->isSentinel());
        if ($sentinels !== [] && count($sentinels) !== count($nodes) + 1) {
            throw InvalidBrokerUrl::because(
                $url,
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

    /**
     * @param string $piece one entry of a ";" list
     * @param string $url the whole URL, the only thing messages show (masked): a password with an
     *                    unencoded ";" splits the list inside the password
     */
    private static function parseOne(
        #[\SensitiveParameter] string $piece,
        Role $role,
        #[\SensitiveParameter] string $url,
    ): self {
        [$scheme, $username, $password, $hostinfo, $path, $queryText] = DsnSyntax::split($piece, $role, $url);
        [$host, $port] = DsnSyntax::hostAndPort($hostinfo, $url);
        // A URL without options (the common one) never loads DsnQuery.
        $query = $queryText === '' ? null : DsnQuery::parse($queryText, $role, $scheme, $url);

        if ($scheme === 'redis+socket' || $scheme === 'unix') {
            $transport = Endpoint::UNIX;
            $host = '';
            $port = 0;
            $socket = self::socketPath($scheme, $path, $url);
            $database = 0;
            $tls = null;
        } else {
            $socket = null;
            // kombu strips one "/" from the path, and one more when what is left starts with "/".
            $db = rawurldecode(substr($path, 1));
            if (str_starts_with($db, '/')) {
                $db = substr($db, 1);
            }
            if ($role === Role::Backend) {
                $db = trim($db, '/');
            }
            $database = self::database($db, 'the database', $url);
            $ssl = $query->ssl ?? [];
            $tls = $ssl !== [] || $scheme === 'rediss' ? DsnQuery::tls($ssl, $url) : null;
            $transport = $tls !== null ? Endpoint::TLS : Endpoint::TCP;
            // kombu's Redis channel connects to 127.0.0.1 when the URL names no host.
            $host = $host === '' ? '127.0.0.1' : $host;
            $port ??= $scheme === 'sentinel' ? 26379 : 6379;
        }
        return new self(
            $role,
            $scheme,
            $transport,
            $host,
            $port,
            $socket,
            $query->database ?? $database,
            $username,
            $password,
            $tls,
            // DsnQuery reads none for a socket: kombu drops socket_connect_timeout there.
            $query?->connectTimeout,
            $query?->readTimeout,
            $query->accepted ?? [],
            [],
        );
    }

    private static function socketPath(string $scheme, #[\SensitiveParameter] string $path, #[\SensitiveParameter] string $url): string
    {
        $socket = rawurldecode($path);
        if ($socket === '' || $socket === '/') {
            throw InvalidBrokerUrl::because(
                $url,
                sprintf('no socket path: write %s:///absolute/path/redis.sock (three slashes).', $scheme),
            );
        }
        return $socket;
    }

    /**
     * @internal also DsnQuery's, for the "db" and "virtual_host" options
     */
    public static function database(#[\SensitiveParameter] string $text, string $what, #[\SensitiveParameter] string $url): int
    {
        if ($text === '') {
            return 0;
        }
        if (!ctype_digit($text)) {
            throw InvalidBrokerUrl::because($url, sprintf(
                '%s "%s" is not a number (the path of a Redis URL is the database index, e.g. /0).',
                $what,
                $text,
            ));
        }
        return (int) $text;
    }
}
