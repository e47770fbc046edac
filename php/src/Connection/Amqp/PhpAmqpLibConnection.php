<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionLost;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Wire\Amqp\ExchangeMessage;
use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Exception\AMQPExceptionInterface;
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
    use NodeBookkeeping;
    use PhpAmqpLibConfirms;

    /**
     * The php-amqplib connection and channel, kept wrapped: php-amqplib keeps the password in
     * them, and var_dump(), print_r(), var_export() and traces must never show it.
     */
    private ?\SensitiveParameterValue $held = null;
    /** Whether the connection is the application's (injected): never ours to close. */
    private readonly bool $injected;
    /** How many body bytes publish() queues before it writes them without waiting for the rest. */
    private const BATCH_BYTES = 1 << 20;
    /** Body bytes queued in php-amqplib's publish batch since its last write. */
    private int $batched = 0;

    /**
     * @param list<AmqpUrl> $nodes
     * @param AbstractConnection|null $injected a connected client given by the user (no failover)
     */
    public function __construct(
        array $nodes,
        private readonly AmqpSettings $settings,
        ?AbstractConnection $injected = null,
    ) {
        if (!self::available()) {
            throw InvalidConfiguration::invalid('amqp_client', AmqpSettings::PHP_AMQPLIB, 'php-amqplib is not installed: '
                . 'composer require php-amqplib/php-amqplib (Debian: apt install php-amqplib).');
        }
        $this->keepNodes($nodes, $settings->shuffle, $injected !== null);
        $this->hold($injected, null);
        $this->injected = $injected !== null;
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

    public function open(): void
    {
        $this->closeIfHeartbeatMissed($this->settings);
        [$connection, $channel] = $this->held();
        if ($channel !== null && $channel->is_open() && $connection?->isConnected()) {
            $io = $connection->getIO();
            if (!IdleConnection::closedByPeer(method_exists($io, 'getSocket') ? $io->getSocket() : null)) {
                $this->idle->used();
                return;
            }
            // The broker (or the network) closed it since the last call: a publish written
            // there would be lost with an "unknown" outcome although it never left. Its node
            // is likely gone: as kombu does with a lost connection, go on with the next URL
            // (without using up a publish retry on the dead node).
            $this->close();
            $this->nodes->next();
        }
        try {
            [$connection] = $this->held();
            if ($connection === null || !$connection->isConnected()) {
                $url = $this->nodes->current() ?? throw ConnectionLost::atRabbitMq('RabbitMQ', 'the injected connection is closed.');
                $connection = $this->connect($url);
                $this->hold($connection, null);
                $this->generation++;
            }
            // (On an injected connection too: the channel is this client's, with its timeouts.)
            $channel = ConfirmChannel::open($connection, $this->rpcTimeout());
            $this->hold($connection, $channel);
            if ($this->settings->confirm) {
                $channel->confirm_select();
            }
            $this->listen($channel);
            $this->idle->used();
        } catch (ConnectionFailed $e) {
            throw $e;
        } catch (AMQPExceptionInterface | \RuntimeException | \ErrorException $e) {
            // Not kept as the previous exception: its trace holds php-amqplib's connect frames,
            // whose arguments include the password.
            throw $this->lost('cannot connect', $e, false);
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

    /**
     * Queued in php-amqplib's batch: waitForConfirms() writes every publish since the last wait
     * in one write (one system call for a sendMany() chunk instead of one per task), or, for big
     * bodies, every BATCH_BYTES (php-amqplib copies the whole batch into one string).
     */
    public function publish(ExchangeMessage $message, string $encoded, bool $mandatory): void
    {
        $this->call(fn () => $this->channel()->batch_basic_publish(
            new PreEncodedMessage($message->body, $encoded, $this->written++),
            $message->exchange,
            $message->routingKey,
            $mandatory,
        ));
        $this->batched += strlen($message->body);
        if ($this->batched >= self::BATCH_BYTES) {
            $this->writeBatch();
        }
    }

    public function waitForConfirms(float $timeout): array
    {
        $this->writeBatch();
        if ($this->settings->confirm) {
            $this->call(fn () => $this->channel()->wait_for_pending_acks_returns($timeout));
        }
        $outcome = [$this->returned, $this->nacked];
        if ($this->nacked !== []) {
            $this->dropChannel();
        }
        [$this->returned, $this->nacked, $this->written] = [[], [], 0];
        return $outcome;
    }

    /**
     * Closes the connection; on an injected connection only our channel: the application's
     * connection (and its other channels) stays open, whatever failed on ours.
     */
    public function close(): void
    {
        if ($this->injected) {
            $this->dropChannel();
            return;
        }
        try {
            $this->held()[0]?->close();
        } catch (\Throwable) {
            // Already gone: nothing to release.
        }
        $this->held = null;
    }

    /**
     * Writes what publish() queued. A write that fails drops the channel (call(), lost()), and
     * the batch with it: nothing of it can be written later.
     */
    private function writeBatch(): void
    {
        $channel = $this->held()[1];
        $this->batched = 0;
        if ($channel !== null) {
            $this->call(fn () => $channel->publish_batch());
        }
    }

    /**
     * A quorum queue's publisher state lives in the channel: a channel opened on a node right
     * after the queue's leader died can keep that leader and have RabbitMQ nack every later
     * publish on it. A fresh channel asks the queue for its leader again.
     */
    private function dropChannel(): void
    {
        [$connection, $channel] = $this->held();
        $this->hold($connection, null);
        try {
            $channel?->close();
        } catch (\Throwable) {
            // The connection is checked on the next open().
        }
    }

    private function channel(): AMQPChannel
    {
        $channel = $this->held()[1];
        if ($channel === null) {
            $this->open();
            $channel = $this->held()[1];
        }
        \assert($channel !== null);
        return $channel;
    }

    /**
     * @return array{?AbstractConnection, ?AMQPChannel}
     */
    private function held(): array
    {
        return $this->held?->getValue() ?? [null, null];
    }

    private function hold(?AbstractConnection $connection, ?AMQPChannel $channel): void
    {
        $this->held = $connection === null ? null : new \SensitiveParameterValue([$connection, $channel]);
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
            $this->hold($this->held()[0], null);
            throw new ChannelClosed((int) $e->getCode(), $e->getMessage(), $e);
        } catch (ConnectionFailed $e) {
            throw $e;
        } catch (AMQPExceptionInterface | \RuntimeException | \ErrorException $e) {
            throw $this->lost('the connection failed', $e);
        }
    }

    private function lost(string $what, \Throwable $e, bool $keep = true): ConnectionFailed
    {
        $server = $this->server();
        $url = $this->nodes->current();
        $this->close();
        $this->nodes->next();
        $handshake = $url !== null && PhpAmqpLibNode::handshakeFailed($url, $this->settings, $e);
        return AmqpFailure::of($what, $server, $e, $handshake, $keep);
    }

    private function connect(AmqpUrl $url): AbstractConnection
    {
        return PhpAmqpLibNode::connect($url, $this->settings, $this->rpcTimeout());
    }

    /** How long a read (a declare's answer, a confirm) may take: the longer of the two settings. */
    private function rpcTimeout(): float
    {
        return max($this->settings->readTimeout, $this->settings->confirmTimeout);
    }

    /**
     * Runs $operation on the channel (connecting first when needed, as open() does), its
     * failures mapped as every other call's: how the rpc:// result consumer reads its queue
     * on a connection of its own.
     *
     * @template T
     * @param \Closure(AMQPChannel): T $operation
     * @return T
     * @throws ConnectionFailed|ChannelClosed
     */
    public function onChannel(\Closure $operation): mixed
    {
        $this->open();
        return $this->call(fn () => $operation($this->channel()));
    }
}
