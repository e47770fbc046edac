<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * RedisConnection over Predis (1.1 to 3.x), for hosts without the phpredis extension.
 *
 * Opens sockets and runs commands with Predis; connecting, failover and retrying are
 * ClientConnection's.
 *
 * @internal
 */
final class PredisConnection extends ClientConnection
{
    /** ConnectionOptions::library() has checked that Predis is there. */
    public static function fromTopology(Topology $topology, ConnectionOptions $options): self
    {
        return new self($topology, $options, null, null);
    }

    public static function available(): bool
    {
        return class_exists(\Predis\Client::class);
    }

    public function lPush(string $key, string $value): int
    {
        if ($this->injected) {
            // The caller's client may prefix keys (its "prefix" option): only Predis' command
            // objects apply that.
            return (int) $this->run('LPUSH', static fn (\Predis\ClientInterface $c) => $c->lpush($key, [$value]));
        }
        $client = $this->deadline === null ? $this->handle?->getValue() : null;
        $stream = $client instanceof \Predis\Client ? $client->getConnection() : null;
        if ($stream !== null && $stream::class === \Predis\Connection\StreamConnection::class && $stream->isConnected()) {
            // Every publish on our open socket with no deadline to apply: the command's RESP
            // written and its one-line reply read on Predis' own stream, as Predis' StreamConnection
            // does, without its command objects and run()'s closures. A socket the server has
            // closed meanwhile (feof(), see connection()) is replaced by run(), before writing;
            // a failure of the socket, or a reply that is not LPUSH's, goes through run() as
            // Predis' ConnectionException would.
            $resource = $stream->getResource();
            if (is_resource($resource) && !feof($resource)) {
                $start = hrtime(true);
                $request = "*3\r\n\$5\r\nLPUSH\r\n\$" . strlen($key) . "\r\n{$key}\r\n\$" . strlen($value) . "\r\n{$value}\r\n";
                try {
                    while (($length = strlen($request)) > 0) {
                        $written = @fwrite($resource, $request);
                        if ($written === $length) {
                            break;
                        }
                        if ($written === false || $written === 0) {
                            throw new \Predis\Connection\ConnectionException($stream, 'Error while writing bytes to the server.');
                        }
                        $request = substr($request, $written);
                    }
                    $line = fgets($resource);
                    if ($line === false || $line === '') {
                        throw new \Predis\Connection\ConnectionException($stream, 'Error while reading line from the server.');
                    }
                    if ($line[0] === ':') {
                        return (int) substr($line, 1, -2);
                    }
                    if ($line[0] === '-') {
                        throw Failure::reply($this->current ?? $this->topology->endpoints[0], substr($line, 1, -2));
                    }
                    // Not LPUSH's answer, and more of it may follow: the socket cannot be trusted.
                    throw new \Predis\Connection\ConnectionException($stream, 'Unexpected reply to LPUSH: ' . substr($line, 0, 20));
                } catch (\Predis\CommunicationException $e) {
                    return (int) $this->run('LPUSH', static fn () => throw $e, false, null, $start, $client);
                }
            }
        }
        // Our own client: the raw command skips Predis' command factory on every publish. Its
        // error reply comes back as text and a flag; execute() makes it Failure::reply() as it
        // does the command object's.
        return (int) $this->run('LPUSH', static function (\Predis\ClientInterface $c) use ($key, $value): mixed {
            \assert($c instanceof \Predis\Client);
            $reply = $c->executeRaw(['LPUSH', $key, $value], $error);
            return $error ? new \Predis\Response\Error((string) $reply) : $reply;
        });
    }

    public function publish(string $channel, string $message): int
    {
        return (int) $this->run('PUBLISH', static fn (\Predis\ClientInterface $c) => $c->publish($channel, $message));
    }

    public function get(string $key): ?string
    {
        $value = $this->run('GET', static fn (\Predis\ClientInterface $c) => $c->get($key));
        return is_string($value) ? $value : null;
    }

    public function mGet(array $keys): array
    {
        if ($keys === []) {
            return [];
        }
        $values = $this->run('MGET', static fn (\Predis\ClientInterface $c) => $c->mget($keys));
        return array_map(static fn ($v) => is_string($v) ? $v : null, array_values((array) $values));
    }

    public function set(string $key, string $value, ?int $ttlSeconds = null): void
    {
        $this->run(
            $ttlSeconds === null ? 'SET' : 'SETEX',
            static fn (\Predis\ClientInterface $c) => $ttlSeconds === null ? $c->set($key, $value) : $c->setex($key, $ttlSeconds, $value),
        );
    }

    public function del(string ...$keys): int
    {
        return $keys === [] ? 0 : (int) $this->run('DEL', static fn (\Predis\ClientInterface $c) => $c->del($keys));
    }

    public function lLen(string $key): int
    {
        return (int) $this->run('LLEN', static fn (\Predis\ClientInterface $c) => $c->llen($key));
    }

    public function lRange(string $key, int $start, int $stop): array
    {
        $items = $this->run('LRANGE', static fn (\Predis\ClientInterface $c) => $c->lrange($key, $start, $stop));
        return array_values(array_map('strval', (array) $items));
    }

    protected function inOneRoundTrip(#[\SensitiveParameter] object $client, array $writes): mixed
    {
        \assert($client instanceof \Predis\ClientInterface);
        return PredisTransaction::inOneRoundTrip($client, $writes);
    }

    protected function blockingPop(#[\SensitiveParameter] object $client, array $keys, string $timeout): mixed
    {
        \assert($client instanceof \Predis\ClientInterface);
        return $client->brpop($keys, $timeout);
    }

    public function sMembers(string $key): array
    {
        $members = $this->run('SMEMBERS', static fn (\Predis\ClientInterface $c) => $c->smembers($key));
        return array_values(array_map('strval', (array) $members));
    }

    protected function execute(#[\SensitiveParameter] object $client, Endpoint $endpoint, #[\SensitiveParameter] \Closure $call): mixed
    {
        try {
            $result = $call($client);
        } catch (\Predis\Response\ServerException $e) {
            throw Failure::reply($endpoint, $e->getMessage(), Failure::scrub($e));
        }
        if ($result instanceof \Predis\Response\ErrorInterface) {
            throw Failure::reply($endpoint, $result->getMessage());
        }
        return $result;
    }

    protected function isSocketFailure(\Throwable $e): bool
    {
        return $e instanceof \Predis\CommunicationException;
    }

    protected function isReused(): bool
    {
        $client = $this->client();
        return $client instanceof \Predis\ClientInterface && $client->isConnected();
    }

    protected function setReadTimeout(#[\SensitiveParameter] object $client, float $seconds): void
    {
        \assert($client instanceof \Predis\ClientInterface);
        $connection = $client->getConnection();
        if (method_exists($connection, 'isConnected') && $connection->isConnected() && method_exists($connection, 'getResource')) {
            $resource = $connection->getResource();
            if (is_resource($resource)) {
                stream_set_timeout($resource, (int) $seconds, (int) (fmod($seconds, 1.0) * 1e6));
            }
        }
    }

    public function disconnect(#[\SensitiveParameter] object $client): void
    {
        \assert($client instanceof \Predis\ClientInterface);
        try {
            $client->disconnect();
        } catch (\Throwable) {
            // Closing a broken socket: nothing to release.
        }
    }

    protected function connection(): object
    {
        $client = $this->client();
        if (!$client instanceof \Predis\ClientInterface) {
            $client = $this->open();
            \assert($client instanceof \Predis\ClientInterface);
            return $client;
        }
        if (self::closedByServer($client)) {
            // The server hung up while we were idle (restart, failover, `timeout`): without this,
            // Predis would write the next command into the dead socket.
            if ($this->injected) {
                $client->disconnect();
            } else {
                $this->drop();
                return $this->open();
            }
        }
        if (!$client->isConnected()) {
            // An injected client, or ours after Predis dropped a broken socket.
            $this->connect($client, $this->current ?? $this->topology->endpoints[0]);
        }
        return $client;
    }

    /**
     * feof() on a socket stream is PHP's non-blocking liveness check (what phpredis runs before
     * every command): true once the peer has closed its end.
     */
    private static function closedByServer(#[\SensitiveParameter] \Predis\ClientInterface $client): bool
    {
        $connection = $client->getConnection();
        if (!method_exists($connection, 'getResource') || !method_exists($connection, 'isConnected') || !$connection->isConnected()) {
            return false;
        }
        $resource = $connection->getResource();
        return is_resource($resource) && feof($resource);
    }

    public function openOn(Endpoint $endpoint, bool $persistent): object
    {
        $client = new \Predis\Client($endpoint->predisParameters($persistent), ['exceptions' => true]);
        $this->connect($client, $endpoint);
        return $client;
    }

    /**
     * Predis runs AUTH and SELECT inside connect(); a reply to them comes back as
     * "`AUTH` failed: <reply>", an I/O failure while waiting for it as a read error.
     *
     * @throws ConnectionFailed
     */
    private function connect(#[\SensitiveParameter] \Predis\ClientInterface $client, Endpoint $endpoint): void
    {
        $warnings = [];
        set_error_handler(static function (int $level, string $message) use (&$warnings): bool {
            $warnings[] = $message;
            return true;
        });
        $start = Clock::now();
        try {
            $client->connect();
        } catch (\Predis\CommunicationException $e) {
            $this->disconnect($client);
            $message = Failure::clean($e->getMessage());
            if (preg_match('#^`([A-Z]+)` failed: (.*)$#s', $message, $m) === 1) {
                throw Failure::reply($endpoint, $m[2], Failure::scrub($e));
            }
            if (str_starts_with($message, 'Error while reading') || str_starts_with($message, 'Error while writing')) {
                $command = $endpoint->password() !== null ? 'AUTH' : 'SELECT';
                throw Failure::afterSending($endpoint, $command, $message, Clock::now() - $start, true, Failure::scrub($e));
            }
            throw Failure::connecting($endpoint, $message, $warnings, Failure::scrub($e));
        } finally {
            restore_error_handler();
        }
    }

    /**
     * @param list<string> $command
     */
    public function raw(#[\SensitiveParameter] object $client, Endpoint $endpoint, array $command): mixed
    {
        \assert($client instanceof \Predis\ClientInterface);
        $start = Clock::now();
        try {
            $error = false;
            $reply = $client->executeRaw($command, $error);
        } catch (\Predis\Response\ServerException $e) {
            throw Failure::reply($endpoint, $e->getMessage(), Failure::scrub($e));
        } catch (\Predis\CommunicationException $e) {
            throw Failure::afterSending($endpoint, $command[0], $e->getMessage(), Clock::now() - $start, true, Failure::scrub($e));
        }
        if ($error === true || $reply instanceof \Predis\Response\ErrorInterface) {
            $message = is_object($reply) && method_exists($reply, 'getMessage') ? $reply->getMessage() : (string) $reply;
            throw Failure::reply($endpoint, $message);
        }
        return $reply;
    }
}
