<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use PhpAmqpLib\Connection\AMQPConnectionConfig;

/**
 * php-amqplib's connection settings for one node of a broker URL: every connection this
 * library opens to RabbitMQ (the publisher's, the rpc:// result consumer's) uses the same ones.
 *
 * @internal
 */
final class PhpAmqpLibConfig
{
    public static function for(AmqpUrl $url, AmqpSettings $settings): AMQPConnectionConfig
    {
        $config = new AMQPConnectionConfig();
        $config->setHost($url->host);
        $config->setPort($url->port);
        $config->setUser($url->user);
        $config->setPassword($url->password());
        $config->setVhost($url->vhost);
        $config->setConnectionTimeout($url->connectTimeout ?? $settings->connectTimeout);
        $heartbeat = $url->heartbeat ?? $settings->heartbeat;
        $config->setHeartbeat($heartbeat);
        // php-amqplib wants the read timeout at least twice the heartbeat.
        $read = max($settings->readTimeout, $settings->confirmTimeout, 2 * $heartbeat);
        $config->setReadTimeout($read);
        $config->setWriteTimeout($read);
        $config->setChannelRPCTimeout($read);
        $config->setLoginMethod(AMQPConnectionConfig::AUTH_PLAIN);
        if ($url->ssl || $settings->ssl !== null) {
            $ssl = $settings->ssl ?? ['verify_peer' => true, 'verify_peer_name' => true];
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
