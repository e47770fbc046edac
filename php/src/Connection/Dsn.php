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

    private const SCHEME_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-';

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
        // scheme://rest, the scheme a letter then letters, digits, "+", "." or "-" (checked
        // without a regular expression, whose compile a fresh process would pay).
        $separator = strpos($piece, '://');
        $scheme = $separator === false ? '' : substr($piece, 0, $separator);
        if ($scheme === '' || !ctype_alpha($scheme[0]) || strspn($scheme, self::SCHEME_CHARACTERS) !== strlen($scheme)) {
            throw InvalidBrokerUrl::because($url, 'expected scheme://..., e.g. redis://host:6379/0.');
        }
        // urllib lower-cases the scheme.
        $scheme = strtolower($scheme);
        $rest = (string) substr($piece, $separator + 3);
        self::checkScheme($scheme, $url, $role);

        $fragment = strpos($rest, '#');
        if ($fragment !== false) {
            // urllib drops a fragment; one holding "@" is the rest of a password with a "#" in it,
            // and what stands before the "#" would be read as host and port.
            if (str_contains(substr($rest, $fragment), '@')) {
                throw InvalidBrokerUrl::because($url, 'an @ follows a #: the password holds an unencoded #.');
            }
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
        if ($at === false && self::atAfterHost($scheme, $netloc, $path, $queryText)) {
            // "redis://:pass/word@host": a password with an unencoded "/" or "?" ends the host
            // part early; the part before it would be read as a host and port.
            throw InvalidBrokerUrl::because($url, 'an @ follows the host part: the password holds an unencoded / or ?.');
        }
        [$host, $port] = self::hostAndPort($hostinfo, $url);
        // A URL without options (the common one) never loads DsnQuery.
        $query = $queryText === '' ? null : DsnQuery::parse($queryText, $role, $scheme, $url);

        $unix = $scheme === 'redis+socket' || $scheme === 'unix';
        if ($unix) {
            return self::unixNode($role, $scheme, $path, $username, $password, $query, $url);
        }
        return self::tcpNode($role, $scheme, $host, $port, $path, $username, $password, $query, $url);
    }

    /**
     * Whether an "@" after a host part without one is the rest of a user info: in the path or
     * in a query value, except in an ssl_* file path (a certificate may be named user@host.pem).
     * A socket URL has no host part, so any text there followed by an "@" is a user info.
     */
    private static function atAfterHost(
        string $scheme,
        #[\SensitiveParameter] string $netloc,
        #[\SensitiveParameter] string $path,
        #[\SensitiveParameter] string $query,
    ): bool {
        if ($netloc === '' || (!str_contains($path, '@') && !str_contains($query, '@'))) {
            return false;
        }
        if ($scheme === 'redis+socket' || $scheme === 'unix' || str_starts_with($netloc, ':')) {
            return true;
        }
        if (!str_contains($netloc, ':')) {
            return false;
        }
        if (str_contains($path, '@')) {
            return true;
        }
        foreach (explode('&', $query) as $pair) {
            if (str_contains($pair, '@') && !str_starts_with(urldecode($pair), 'ssl_')) {
                return true;
            }
        }
        return false;
    }

    private static function checkScheme(#[\SensitiveParameter] string $scheme, #[\SensitiveParameter] string $url, Role $role): void
    {
        $known = ['redis', 'rediss', 'redis+socket', 'unix', 'sentinel'];
        if (in_array($scheme, $known, true)) {
            return;
        }
        throw InvalidBrokerUrl::unknownScheme($url, $scheme, $role->describe());
    }

    /**
     * @return array{0: string, 1: ?int}
     */
    private static function hostAndPort(#[\SensitiveParameter] string $hostinfo, #[\SensitiveParameter] string $url): array
    {
        $portText = null;
        if (str_starts_with($hostinfo, '[')) {
            $close = strpos($hostinfo, ']');
            if ($close === false) {
                throw InvalidBrokerUrl::because($url, 'the IPv6 host has no closing "]".');
            }
            $host = substr($hostinfo, 1, $close - 1);
            $after = substr($hostinfo, $close + 1);
            if ($after !== '') {
                if (!str_starts_with($after, ':')) {
                    throw InvalidBrokerUrl::because($url, sprintf('unexpected "%s" after the IPv6 host.', $after));
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
                    $url,
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

    private static function tcpNode(
        Role $role,
        string $scheme,
        #[\SensitiveParameter] string $host,
        ?int $port,
        #[\SensitiveParameter] string $path,
        #[\SensitiveParameter] ?string $username,
        #[\SensitiveParameter] ?string $password,
        #[\SensitiveParameter] ?DsnQuery $query,
        #[\SensitiveParameter] string $url,
    ): self {
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
            $query->database ?? $database,
            $username,
            $password,
            $tls,
            $query?->connectTimeout,
            $query?->readTimeout,
            $query->accepted ?? [],
            [],
        );
    }

    private static function unixNode(
        Role $role,
        string $scheme,
        #[\SensitiveParameter] string $path,
        #[\SensitiveParameter] ?string $username,
        #[\SensitiveParameter] ?string $password,
        #[\SensitiveParameter] ?DsnQuery $query,
        #[\SensitiveParameter] string $url,
    ): self {
        $socket = rawurldecode($path);
        if ($socket === '' || $socket === '/') {
            throw InvalidBrokerUrl::because(
                $url,
                sprintf('no socket path: write %s:///absolute/path/redis.sock (three slashes).', $scheme),
            );
        }
        return new self(
            $role,
            $scheme,
            Endpoint::UNIX,
            '',
            0,
            $socket,
            $query->database ?? 0,
            $username,
            $password,
            null,
            null,
            $query?->readTimeout,
            $query->accepted ?? [],
            [],
        );
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
