<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Broker\Amqp\Channel;
use CeleryBridge\Broker\Amqp\Channels;
use CeleryBridge\Connection\Amqp\AmqpSettings;

/**
 * Opens a channel to a RabbitMQ broker on a connection of its own (not the publisher's): what
 * remote control, queue tools and event streams over AMQP use, each when first asked for.
 *
 * @internal
 */
final class AmqpChannelOpener
{
    /** The broker (a URL with its password, or a client) and its settings, kept wrapped: var_dump() never shows them. */
    private readonly \SensitiveParameterValue $secret;

    /**
     * @param string|list<string>|object $broker
     * @param array<string, mixed> $amqpConfig what AmqpSettings reads
     */
    public function __construct(
        #[\SensitiveParameter] string|array|object $broker,
        #[\SensitiveParameter] array $amqpConfig,
    ) {
        $this->secret = new \SensitiveParameterValue([$broker, $amqpConfig]);
    }

    public function open(): Channel
    {
        [$broker, $amqpConfig] = $this->secret->getValue();
        return Channels::open($broker, AmqpSettings::fromConfig($amqpConfig));
    }
}
