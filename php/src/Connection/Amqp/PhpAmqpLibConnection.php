<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Wire\Amqp\BasicProperties;
use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Connection\AMQPConnectionConfig;
use PhpAmqpLib\Connection\AMQPConnectionFactory;
use PhpAmqpLib\Exception\AMQPProtocolChannelException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

/**
 * AmqpConnection over php-amqplib (pure PHP). php-amqplib frames and sends; the content header
 * is ours (PreEncodedMessage), so the header table has Celery's exact AMQP types, which
 * php-amqplib's own AMQPTable cannot write (no float, [] for an empty table).
 *
 * A failover list is walked in order (or from a random node with broker_failover_strategy
 * 'shuffle'): a failed connect, or a connection lost later, moves to the next node, so the
 * publish retry that follows connects there.
 *
 * @internal
 */
final class PhpAmqpLibConnection implements AmqpConnection
{
    private ?AbstractConnection $connection = null;
    private ?AMQPChannel $channel = null;
    private int $generation = 0;
    private int $node;
    /** @var list<string> correlation ids of returned messages since the last wait */
    private array $returned = [];
    /** @var list<string> */
    private array $nacked = [];

    /**
     * @param list<AmqpUrl> $nodes
     * @param AbstractConnection|null $injected a connected client given by the user (no failover)
     */
    public function __construct(
        private readonly array $nodes,
        private readonly AmqpSettings $settings,
        ?AbstractConnection $injected = null,
    ) {
        $this->node = $settings->shuffle && count($nodes) > 1 ? random_int(0, count($nodes) - 1) : 0;
        $this->connection = $injected;
        if ($injected !== null) {
            $this->generation = 1;
        }
    }

    /** Whether php-amqplib can be loaded (Composer's autoload, or Debian's php-amqplib on the include path). */
    public static function available(): bool
    {
        if (class_exists(AMQPMessage::class)) {
            return true;
        }
        if (stream_resolve_include_path('PhpAmqpLib/autoload.php') !== false) {
            require_once 'PhpAmqpLib/autoload.php';
        }
        return class_exists(AMQPMessage::class);
    }

    public function server(): string
    {
        return $this->nodes === [] ? 'an injected connection' : $this->nodes[$this->node]->server();
    }

    public function generation(): int
    {
        return $this->generation;
    }

    public function open(): void
    {
        if ($this->channel !== null && $this->channel->is_open() && $this->connection?->isConnected()) {
            if (!$this->closedByPeer()) {
                return;
            }
            // The broker (or the network) closed it since the last call: a publish written
            // there would be lost with an "unknown" outcome although it never left.
            $this->close();
        }
        try {
            if ($this->connection === null || !$this->connection->isConnected()) {
                if ($this->nodes === []) {
                    throw ConnectionLost::atRabbitMq('RabbitMQ', 'the injected connection is closed.');
                }
                $this->connection = AMQPConnectionFactory::create($this->config($this->nodes[$this->node]));
                $this->generation++;
            }
            $this->channel = $this->connection->channel();
            if ($this->settings->confirm) {
                $this->channel->confirm_select();
            }
            // basic.return (code, text, exchange, routing key, message): an unroutable mandatory publish.
            $this->channel->set_return_listener(function (mixed ...$returned): void {
                $message = end($returned);
                \assert($message instanceof AMQPMessage);
                $this->returned[] = $this->correlationId($message);
            });
            $this->channel->set_nack_handler(function (AMQPMessage $message): void {
                $this->nacked[] = $this->correlationId($message);
            });
        } catch (ConnectionFailed $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw $this->lost('cannot connect', $e);
        }
    }

    public function declareExchange(string $name, string $type, bool $durable, bool $passive): void
    {
        $this->call(fn () => $this->channel()->exchange_declare($name, $type, $passive, $durable, false));
    }

    public function declareQueue(string $name, bool $durable, array $arguments, bool $passive): void
    {
        $this->call(fn () => $this->channel()->queue_declare(
            $name,
            $passive,
            $durable,
            false,
            false,
            false,
            new AMQPTable($arguments),
        ));
    }

    public function bindQueue(string $queue, string $exchange, string $routingKey): void
    {
        $this->call(fn () => $this->channel()->queue_bind($queue, $exchange, $routingKey));
    }

    public function publish(
        string $exchange,
        string $routingKey,
        BasicProperties $properties,
        string $encoded,
        string $body,
        bool $mandatory,
    ): void {
        $this->call(fn () => $this->channel()->basic_publish(
            new PreEncodedMessage($body, $encoded, (string) $properties->correlationId),
            $exchange,
            $routingKey,
            $mandatory,
        ));
    }

    public function waitForConfirms(float $timeout): array
    {
        if ($this->settings->confirm) {
            $this->call(fn () => $this->channel()->wait_for_pending_acks_returns($timeout));
        }
        $outcome = [$this->returned, $this->nacked];
        if ($this->nacked !== []) {
            $this->dropChannel();
        }
        [$this->returned, $this->nacked] = [[], []];
        return $outcome;
    }

    public function close(): void
    {
        try {
            $this->connection?->close();
        } catch (\Throwable) {
            // Already gone: nothing to release.
        }
        [$this->connection, $this->channel] = [null, null];
    }

    /**
     * A quorum queue's publisher state lives in the channel: a channel opened on a node right
     * after the queue's leader died can keep that leader and have RabbitMQ nack every later
     * publish on it. A fresh channel asks the queue for its leader again.
     */
    private function dropChannel(): void
    {
        $channel = $this->channel;
        $this->channel = null;
        try {
            $channel?->close();
        } catch (\Throwable) {
            // The connection is checked on the next open().
        }
    }

    private function channel(): AMQPChannel
    {
        if ($this->channel === null) {
            $this->open();
        }
        \assert($this->channel !== null);
        return $this->channel;
    }

    /**
     * Runs a library call: a channel closed by the broker becomes ChannelClosed (the connection
     * stays), anything else a lost connection (the next call connects to the next node).
     */
    private function call(\Closure $call): mixed
    {
        try {
            return $call();
        } catch (AMQPProtocolChannelException $e) {
            $this->channel = null;
            throw new ChannelClosed((int) $e->getCode(), $e->getMessage(), $e);
        } catch (ConnectionFailed $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw $this->lost('the connection failed', $e);
        }
    }

    private function lost(string $what, \Throwable $e): ConnectionFailed
    {
        $server = $this->server();
        $this->close();
        if (count($this->nodes) > 1) {
            // Round robin: the next attempt goes to the next URL of the list.
            $this->node = ($this->node + 1) % count($this->nodes);
        }
        $class = substr((string) strrchr('\\' . $e::class, '\\'), 1);
        $text = sprintf('%s (%s: %s).', $what, $class, $e->getMessage());
        // A wrong user, password or vhost stays wrong however often it is tried.
        if (str_contains($e->getMessage(), 'ACCESS_REFUSED') || str_contains($e->getMessage(), 'NOT_ALLOWED')) {
            return AuthenticationFailed::atRabbitMq($server, $text . ' Check the user, password and vhost of the broker URL.', $e);
        }
        return $what === 'cannot connect'
            ? ConnectionRefused::atRabbitMq($server, $text, $e)
            : ConnectionLost::atRabbitMq($server, $text, $e);
    }

    /**
     * Whether the other end has closed the socket (an end of file is waiting to be read), checked
     * without blocking and without taking a byte. Pending frames (a heartbeat) mean it is alive.
     */
    private function closedByPeer(): bool
    {
        $io = $this->connection?->getIO();
        $socket = $io !== null && method_exists($io, 'getSocket') ? $io->getSocket() : null;
        if (!is_resource($socket) || get_resource_type($socket) !== 'stream') {
            return false;
        }
        $read = [$socket];
        $write = $except = null;
        if (@stream_select($read, $write, $except, 0) !== 1) {
            return false;
        }
        $peek = @stream_socket_recvfrom($socket, 1, STREAM_PEEK);
        return $peek === '' || $peek === false;
    }

    private function correlationId(AMQPMessage $message): string
    {
        return $message->has('correlation_id') ? (string) $message->get('correlation_id') : '';
    }

    private function config(AmqpUrl $url): AMQPConnectionConfig
    {
        $config = new AMQPConnectionConfig();
        $config->setHost($url->host);
        $config->setPort($url->port);
        $config->setUser($url->user);
        $config->setPassword($url->password());
        $config->setVhost($url->vhost);
        $config->setConnectionTimeout($url->connectTimeout ?? $this->settings->connectTimeout);
        $heartbeat = $url->heartbeat ?? $this->settings->heartbeat;
        $config->setHeartbeat($heartbeat);
        // php-amqplib wants the read timeout at least twice the heartbeat.
        $read = max($this->settings->readTimeout, $this->settings->confirmTimeout, 2 * $heartbeat);
        $config->setReadTimeout($read);
        $config->setWriteTimeout($read);
        $config->setChannelRPCTimeout($read);
        $config->setLoginMethod(AMQPConnectionConfig::AUTH_PLAIN);
        if ($url->ssl || $this->settings->ssl !== null) {
            $ssl = $this->settings->ssl ?? ['verify_peer' => true, 'verify_peer_name' => true];
            $config->setIsSecure(true);
            $config->setSslCaCert($ssl['cafile'] ?? null);
            $config->setSslCert($ssl['local_cert'] ?? null);
            $config->setSslKey($ssl['local_pk'] ?? null);
            $config->setSslPassPhrase($ssl['passphrase'] ?? null);
            $config->setSslVerify($ssl['verify_peer']);
            $config->setSslVerifyName($ssl['verify_peer_name']);
        }
        return $config;
    }
}
