<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionTimedOut;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function hash;
use function is_string;
use function max;
use function min;
use function sprintf;
use function str_contains;

/**
 * One concrete Redis server to open a socket to: what a RedisConnection talks to right now.
 *
 * For Sentinel this is the master the sentinels named at connect time. Anything that needs its
 * own socket (the pub/sub wait of the result backend) opens it from here with
 * `streamUri()` + `streamContext()`, then authenticates and selects `database`.
 */
final class Endpoint
{
    public const TCP = 'tcp';
    public const TLS = 'tls';
    public const UNIX = 'unix';

    /** @var array<string, mixed> PHP `ssl` stream context options, without the key passphrase */
    public readonly array $tlsContext;

    // Secrets, kept wrapped: var_dump(), print_r(), var_export() and traces never show them.
    // Written by the constructor only when there is one (each connection of a PHP-FPM request
    // makes its endpoint, and most have neither): never changed after.
    private ?\SensitiveParameterValue $passwordSecret = null;
    private ?\SensitiveParameterValue $passphrase = null;

    /** The password to AUTH with, if any. */
    public function password(): ?string
    {
        return $this->passwordSecret?->getValue();
    }

    /**
     * @param array<string, mixed> $tlsContext PHP `ssl` stream context options (verify_peer, cafile, ...)
     */
    private function __construct(
        public readonly string $transport,
        public readonly string $host,
        public readonly int $port,
        public readonly ?string $path,
        array $tlsContext,
        public readonly ?string $username,
        #[\SensitiveParameter] ?string $password,
        public readonly int $database,
        public readonly float $connectTimeout,
        public readonly float $readTimeout,
        /** CLIENT SETNAME on every connection opened to it (kombu's client_name), or none. */
        public readonly ?string $clientName = null,
    ) {
        if ($password !== null) {
            $this->passwordSecret = new \SensitiveParameterValue($password);
        }
        // The key passphrase is a secret too: only streamContext() hands it out. (An empty
        // context, a plain TCP server's, is kept as it is: unset() would copy it.)
        if ($tlsContext !== []) {
            $passphrase = $tlsContext['passphrase'] ?? null;
            unset($tlsContext['passphrase']);
            if (is_string($passphrase)) {
                $this->passphrase = new \SensitiveParameterValue($passphrase);
            }
        }
        $this->tlsContext = $tlsContext;
    }

    public static function tcp(
        string $host,
        int $port = 6379,
        ?string $username = null,
        #[\SensitiveParameter] ?string $password = null,
        int $database = 0,
        float $connectTimeout = ConnectionOptions::DEFAULT_CONNECT_TIMEOUT,
        float $readTimeout = ConnectionOptions::DEFAULT_READ_TIMEOUT,
    ): self {
        return new self(self::TCP, $host, $port, null, [], $username, $password, $database, $connectTimeout, $readTimeout);
    }

    /**
     * @param array<string, mixed> $tlsContext
     */
    public static function tls(
        string $host,
        int $port,
        array $tlsContext,
        ?string $username = null,
        #[\SensitiveParameter] ?string $password = null,
        int $database = 0,
        float $connectTimeout = ConnectionOptions::DEFAULT_CONNECT_TIMEOUT,
        float $readTimeout = ConnectionOptions::DEFAULT_READ_TIMEOUT,
    ): self {
        return new self(self::TLS, $host, $port, null, $tlsContext, $username, $password, $database, $connectTimeout, $readTimeout);
    }

    public static function unix(
        string $path,
        ?string $username = null,
        #[\SensitiveParameter] ?string $password = null,
        int $database = 0,
        float $connectTimeout = ConnectionOptions::DEFAULT_CONNECT_TIMEOUT,
        float $readTimeout = ConnectionOptions::DEFAULT_READ_TIMEOUT,
    ): self {
        return new self(self::UNIX, '', 0, $path, [], $username, $password, $database, $connectTimeout, $readTimeout);
    }


    /**
     * The same server with shorter timeouts, for a command that must finish by a deadline.
     */
    public function withTimeouts(float $connectTimeout, float $readTimeout): self
    {
        return $this->copy($connectTimeout, $readTimeout, $this->clientName);
    }

    public function withClientName(?string $clientName): self
    {
        return $clientName === $this->clientName ? $this : $this->copy($this->connectTimeout, $this->readTimeout, $clientName);
    }

    private function copy(float $connectTimeout, float $readTimeout, ?string $clientName): self
    {
        return new self(
            $this->transport,
            $this->host,
            $this->port,
            $this->path,
            $this->streamContext()['ssl'] ?? [],
            $this->username,
            $this->password(),
            $this->database,
            $connectTimeout,
            $readTimeout,
            $clientName,
        );
    }

    /**
     * One persistent socket per server, user and database: a socket reused by another PHP-FPM
     * request must already be authenticated as the same user on the same database. (xxh3, not
     * a cryptographic hash: the id names a pool slot and holds no secret, and it is computed in
     * every request that opens a persistent socket; sha256 cost about 4,000 instructions.)
     */
    public function persistentId(): string
    {
        // (xxh3 is 64 bits: 16 hex digits, as many as the id has always had. The fields joined
        // by NUL bytes, null as an empty string: one string built, no array.)
        return 'celerybridge-' . hash(
            'xxh3',
            "{$this->transport}\0{$this->host}\0{$this->port}\0{$this->path}\0{$this->username}\0{$this->database}",
        );
    }

    /**
     * For stream_socket_client(): `tcp://127.0.0.1:6379`, `tls://[::1]:6380`, `unix:///run/redis.sock`.
     */
    public function streamUri(): string
    {
        if ($this->transport === self::UNIX) {
            return 'unix://' . $this->path;
        }
        return sprintf('%s://%s:%d', $this->transport === self::TLS ? 'tls' : 'tcp', $this->bracketedHost(), $this->port);
    }

    /**
     * The socket for a command that blocks $seconds: it answers when its own time is up, so the
     * socket waits a second longer than that for the answer.
     */
    public function forBlocking(float $seconds): self
    {
        return $this->readTimeout >= $seconds + 1.0 ? $this : $this->withTimeouts($this->connectTimeout, $seconds + 1.0);
    }

    /**
     * This endpoint with its timeouts cut to what is left before $deadline (Clock::now() time),
     * at least 1 ms.
     *
     * @throws ConnectionTimedOut when nothing is left
     */
    public function boundedBy(float $deadline, string $command): self
    {
        $left = $deadline - Clock::now();
        if ($left <= 0) {
            throw ConnectionTimedOut::deadline($this->describe(), $command);
        }
        if ($this->connectTimeout <= $left && $this->readTimeout <= $left) {
            // The socket timeouts end first: they, not the deadline, govern this command.
            return $this;
        }
        return $this->withTimeouts(
            max(0.001, min($this->connectTimeout, $left)),
            max(0.001, min($this->readTimeout, $left)),
        );
    }

    /**
     * The connection parameters of a Predis\Client for this server (PredisConnection).
     *
     * @return array<string, mixed>
     */
    public function predisParameters(bool $persistent): array
    {
        $parameters = [
            'scheme' => $this->transport,
            'timeout' => $this->connectTimeout,
            'read_write_timeout' => $this->readTimeout,
        ];
        if ($this->transport === self::UNIX) {
            $parameters['path'] = $this->path;
        } else {
            $parameters['host'] = $this->host;
            $parameters['port'] = $this->port;
        }
        if ($this->transport === self::TLS) {
            $parameters['ssl'] = $this->streamContext()['ssl'];
        }
        if ($this->password() !== null) {
            $parameters['password'] = $this->password();
            if ($this->username !== null) {
                $parameters['username'] = $this->username;
            }
        }
        if ($persistent) {
            // Predis sends AUTH and SELECT on every connect(), so a reused socket is set up again.
            $parameters['persistent'] = $this->transport === self::UNIX ? true : $this->persistentId();
            $parameters['database'] = $this->database;
        } elseif ($this->database !== 0) {
            $parameters['database'] = $this->database;
        }
        return $parameters;
    }

    /**
     * @return array<string, array<string, mixed>> options for stream_context_create()
     */
    public function streamContext(): array
    {
        if ($this->transport !== self::TLS) {
            return [];
        }
        $passphrase = $this->passphrase === null ? [] : ['passphrase' => $this->passphrase->getValue()];
        return ['ssl' => $this->tlsContext + $passphrase];
    }

    /**
     * The server, for messages: `127.0.0.1:6379`, `tls://redis.example:6380`, `unix:/run/redis.sock`.
     * Never the password.
     */
    public function describe(): string
    {
        return match ($this->transport) {
            self::UNIX => 'unix:' . $this->path,
            self::TLS => sprintf('tls://%s:%d', $this->bracketedHost(), $this->port),
            default => sprintf('%s:%d', $this->bracketedHost(), $this->port),
        };
    }

    public function __toString(): string
    {
        return $this->describe() . '/' . $this->database;
    }

    /**
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        return [
            'transport' => $this->transport,
            'host' => $this->host,
            'port' => $this->port,
            'path' => $this->path,
            'username' => $this->username,
            'password' => $this->password() === null ? null : '****',
            'database' => $this->database,
        ];
    }

    private function bracketedHost(): string
    {
        return str_contains($this->host, ':') ? '[' . $this->host . ']' : $this->host;
    }
}
