<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * The connection array ext-amqp's \AMQPConnection takes for a node, TLS included: rabbitmq-c
 * speaks TLS when a CA certificate is given ('cacert'), with an optional client certificate and
 * key; 'verify' checks the broker's certificate and that it names the host of the URL (it has
 * no separate server_hostname: a certificate for another name than the URL's host is refused
 * here with what to do, rather than failing at the handshake). connect() is how ext-amqp connects
 * to one node, for the publisher (ExtAmqpConnection) and the control/queue/event channel alike.
 *
 * @internal
 */
final class ExtAmqpCredentials
{
    private function __construct()
    {
    }

    /**
     * @throws InvalidConfiguration|\AMQPException
     */
    public static function connect(AmqpUrl $url, AmqpSettings $settings, float $readTimeout): \AMQPConnection
    {
        $connection = new \AMQPConnection(self::of($url, $settings, $readTimeout));
        $connection->connect();
        return $connection;
    }

    /**
     * @return array<string, mixed>
     * @throws InvalidConfiguration
     */
    public static function of(AmqpUrl $url, AmqpSettings $settings, float $readTimeout): array
    {
        $credentials = [
            'host' => $url->host,
            'port' => $url->port,
            'login' => $url->user,
            'password' => $url->password(),
            'vhost' => $url->vhost,
            'heartbeat' => $url->heartbeat ?? $settings->heartbeat,
            'connect_timeout' => $url->connectTimeout ?? $settings->connectTimeout,
            'read_timeout' => $readTimeout,
            'write_timeout' => $readTimeout,
        ];
        if (!$url->ssl && $settings->ssl() === null) {
            return $credentials;
        }
        $ssl = $settings->ssl() ?? ['verify_peer' => true, 'verify_peer_name' => true];
        $peer = $ssl['peer_name'] ?? null;
        if (is_string($peer) && strcasecmp($peer, $url->host) !== 0 && ($ssl['verify_peer_name'] ?? true)) {
            throw InvalidConfiguration::invalid('broker_use_ssl.server_hostname', $peer, sprintf(
                'ext-amqp checks the certificate against the URL\'s host ("%s") and cannot check another name: '
                . 'put "%s" in the broker URL, or use amqp_client => php-amqplib.',
                $url->host,
                $peer,
            ));
        }
        if (isset($ssl['passphrase'])) {
            throw InvalidConfiguration::invalid('broker_use_ssl.password', '(hidden)', 'ext-amqp cannot read an '
                . 'encrypted key: give a key file without a passphrase, or use amqp_client => php-amqplib.');
        }
        $cafile = $ssl['cafile'] ?? null;
        if (!is_string($cafile)) {
            throw InvalidConfiguration::invalid('broker_use_ssl.ca_certs', null, 'ext-amqp needs the CA certificate '
                . 'file to speak TLS (it does not read the system\'s CAs): give ca_certs, or use amqp_client => php-amqplib.');
        }
        return $credentials + array_filter([
            'cacert' => $cafile,
            'cert' => $ssl['local_cert'] ?? null,
            'key' => $ssl['local_pk'] ?? null,
            // cert_reqs CERT_NONE turns both checks off; ext-amqp cannot keep one without the other.
            'verify' => ($ssl['verify_peer'] ?? true) && ($ssl['verify_peer_name'] ?? true),
        ], static fn (mixed $v): bool => $v !== null);
    }

    /**
     * Whether a failed TLS connect was the handshake: rabbitmq-c reports a refused certificate
     * as "could not connect to host", like a closed port; a port that accepts a plain TCP
     * connection tells the two apart.
     */
    public static function handshakeFailed(AmqpUrl $url, AmqpSettings $settings, \Throwable $error): bool
    {
        if (!$url->ssl && $settings->ssl() === null) {
            return false;
        }
        if (preg_match('/ssl|tls|certificate|handshake/i', $error->getMessage()) === 1) {
            return true;
        }
        $socket = @fsockopen(str_contains($url->host, ':') ? '[' . $url->host . ']' : $url->host, $url->port, $code, $text, 2.0);
        if ($socket === false) {
            return false;
        }
        fclose($socket);
        return true;
    }
}
