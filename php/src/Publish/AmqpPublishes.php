<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Broker\Amqp\AmqpQueue;
use CeleryBridge\Broker\Amqp\AmqpTopology;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Message\AmqpTaskMessage;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\TaskMessage;
use CeleryBridge\Wire\Amqp\BasicProperties;
use CeleryBridge\Wire\Amqp\BasicPublish;
use CeleryBridge\Wire\KombuJson;

/**
 * What AmqpTransport publishes for a task message, a template path message or a task-sent
 * event: one basic.publish each, routed by the workers' topology (the default exchange with the
 * queue name, or the queue's own exchange and routing key), the body raw and the content header
 * as py-amqp writes it, encoded at once so that a value AMQP cannot carry fails before anything
 * of a chunk is written.
 *
 * @internal
 */
final class AmqpPublishes
{
    /** @var array<string, array{string, string, ?AmqpQueue, ?string}> the template path's targets, by queue and priority */
    private array $plainTargets = [];

    public function __construct(private readonly AmqpSettings $settings, private readonly AmqpTopology $topology)
    {
    }

    public function task(TaskMessage $message, Delivery $delivery): AmqpPublish
    {
        [$exchange, $routingKey, $declare, $require] = $this->topology->target($delivery, $message->secondsToEta());
        if ($this->settings->deliveryMode !== 2) {
            // task_default_delivery_mode 'transient' (on Redis the mode changes nothing).
            $message = new TaskMessage(
                $message->taskId,
                $message->headers,
                ['delivery_mode' => $this->settings->deliveryMode] + $message->properties,
                $message->body,
                $message->contentType,
                $message->contentEncoding,
            );
        }
        $amqp = AmqpTaskMessage::fromTaskMessage($message);
        $amqp = new AmqpTaskMessage($exchange, $routingKey, $amqp->properties, $amqp->body);
        // A too long routing key or exchange name fails here, before the chunk is written.
        BasicPublish::encode($exchange, $routingKey, true);
        return new AmqpPublish($amqp, $amqp->properties->encode(), $message->taskId, $declare, $require);
    }

    public function plain(PlainMessage $message): AmqpPublish
    {
        $amqp = $message->amqp ?? throw new \LogicException('A Redis envelope reached the AMQP transport.');
        // The topology is fixed: where a queue and priority go is looked up once (bounded, as
        // PlainPath's routes; a target that throws is never kept).
        $key = $message->priority . ':' . $message->queue;
        if (!isset($this->plainTargets[$key])) {
            $target = $this->topology->target(new Delivery($message->queue, $message->priority), null);
            if (strlen($target[0]) > 255 || strlen($target[1]) > 255) {
                BasicPublish::encode($target[0], $target[1], true);
            }
            $this->plainTargets = count($this->plainTargets) < 1000 ? $this->plainTargets : [];
            $this->plainTargets[$key] = $target;
        }
        [$exchange, $routingKey, $declare, $require] = $this->plainTargets[$key];
        $routed = $amqp->to($exchange, $routingKey);
        return new AmqpPublish($routed, $amqp->encodedProperties(), $message->taskId, $declare, $require);
    }

    /**
     * A task-sent event: celeryev is a topic exchange on RabbitMQ; events are transient
     * (delivery_mode 1), with the sender's hostname as their only header.
     *
     * @param array<string, mixed> $event
     */
    public function event(array $event, string $exchange, string $routingKey): AmqpPublish
    {
        $properties = new BasicProperties(
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            headers: ['hostname' => $event['hostname']],
            deliveryMode: 1,
            priority: 0,
        );
        $message = new AmqpTaskMessage($exchange, $routingKey, $properties, KombuJson::encode($event));
        $declare = new AmqpQueue('', $exchange, 'topic', $routingKey);
        return new AmqpPublish($message, $properties->encode(), null, $declare);
    }
}
