<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Wire\BodyEncoder;
use CeleryBridge\Wire\PythonTime;

/**
 * Builds the task message Celery 5.7's app.amqp.as_task_v2 (or as_task_v1) builds. Pure: the
 * caller supplies the ids and the clock, so the output is exact and testable byte for byte.
 *
 * @internal
 */
final class MessageBuilder
{
    private const UNREADABLE_TIME = 'it gives a time outside the years 1 to 9999 (in UTC), which a worker cannot read.';

    public function __construct(
        private readonly string $origin,
        private readonly string $replyTo,
        private readonly int $protocol = 2,
        private readonly BodyEncoder $encoder = new BodyEncoder(),
    ) {
    }

    /**
     * @param array{chain?: list<array<string, mixed>>|null, chord?: array<string, mixed>|null} $embed
     *        canvas parts the worker continues with (signature dicts)
     */
    public function build(
        TaskCall $signature,
        string $taskId,
        Delivery $delivery,
        \DateTimeImmutable $now,
        string $deliveryTag,
        array $embed = [],
    ): TaskMessage {
        $options = $signature->taskOptions();
        $eta = $this->eta($options, $now);
        $expires = $this->expires($options, $now);
        $callbacks = $this->signatureList($options->link);
        $errbacks = $this->signatureList($options->linkError);

        // send_task() hands the options it does not know itself to kombu, which makes them
        // message properties: argsrepr and kwargsrepr end up there too.
        $extra = [];
        if ($options->argsrepr !== null) {
            $extra['argsrepr'] = $options->argsrepr;
        }
        if ($options->kwargsrepr !== null) {
            $extra['kwargsrepr'] = $options->kwargsrepr;
        }
        $properties = ProtocolTwo::properties(
            $taskId,
            $options->replyTo ?? $this->replyTo,
            $extra + $options->properties,
            // kombu's Producer turns the seconds left into a per-message TTL in milliseconds.
            $expires === null ? null : (string) (int) (max(0.0, $this->secondsUntil($expires, $now)) * 1000),
            $delivery->exchange,
            $delivery->routingKey(),
            $delivery->priority,
            $deliveryTag,
        );

        if ($this->protocol === 1) {
            return $this->protocolOne($signature, $taskId, $properties, $eta, $expires, $callbacks, $errbacks, $embed);
        }

        $headers = ProtocolTwo::headers(
            $signature->taskName(),
            $taskId,
            $options->shadow,
            $eta === null ? null : PythonTime::isoformat($eta),
            $expires === null ? null : PythonTime::isoformat($expires),
            $options->groupId,
            $options->groupIndex,
            $options->retries,
            [$options->timeLimit, $options->softTimeLimit],
            $options->rootId ?? $taskId,
            $options->parentId,
            $options->argsrepr ?? PythonRepr::args($signature->wireArgs()),
            $options->kwargsrepr ?? PythonRepr::kwargs($signature->wireKwargs()),
            $this->origin,
            $options->ignoreResult,
            $options->stamps === [] ? null : array_keys($options->stamps),
            (object) $options->stamps,
        );
        foreach (get_object_vars($options->headers) as $name => $value) {
            $headers[$name] = $value;
        }
        [$body, $contentType, $contentEncoding, $compression] = $this->encoder->encode([
            $signature->wireArgs(),
            $signature->wireKwargs(),
            [
                'callbacks' => $callbacks,
                'errbacks' => $errbacks,
                'chain' => $embed['chain'] ?? null,
                'chord' => $embed['chord'] ?? null,
            ],
        ]);
        if ($compression !== null) {
            $headers['compression'] = $compression;
        }
        return new TaskMessage($taskId, $headers, $properties, $body, $contentType, $contentEncoding);
    }

    /**
     * Protocol 1: empty headers, everything in one body object (workers still run it).
     *
     * @param array<string, mixed> $properties
     * @param list<array<string, mixed>>|null $callbacks
     * @param list<array<string, mixed>>|null $errbacks
     * @param array<string, mixed> $embed
     */
    private function protocolOne(
        TaskCall $signature,
        string $taskId,
        array $properties,
        ?\DateTimeImmutable $eta,
        ?\DateTimeImmutable $expires,
        ?array $callbacks,
        ?array $errbacks,
        array $embed,
    ): TaskMessage {
        $options = $signature->taskOptions();
        [$body, $contentType, $contentEncoding, $compression] = $this->encoder->encode([
            'task' => $signature->taskName(),
            'id' => $taskId,
            'args' => $signature->wireArgs(),
            'kwargs' => $signature->wireKwargs(),
            'group' => $options->groupId,
            'group_index' => $options->groupIndex,
            'retries' => $options->retries,
            'eta' => $eta === null ? null : PythonTime::isoformat($eta),
            'expires' => $expires === null ? null : PythonTime::isoformat($expires),
            'utc' => true,
            'callbacks' => $callbacks,
            'errbacks' => $errbacks,
            'timelimit' => [$options->timeLimit, $options->softTimeLimit],
            'taskset' => $options->groupId,
            'chord' => $embed['chord'] ?? null,
        ]);
        $headers = $compression === null ? [] : ['compression' => $compression];
        return new TaskMessage($taskId, $headers, $properties, $body, $contentType, $contentEncoding);
    }

    /**
     * countdown becomes an absolute eta in UTC on the client, as Celery does; an explicit eta
     * is sent in UTC with its offset, since a naive time is read as UTC by every worker anyway.
     */
    private function eta(TaskOptions $options, \DateTimeImmutable $now): ?\DateTimeImmutable
    {
        // Celery converts only a truthy countdown: countdown=0 publishes no eta at all.
        if ($options->countdown !== null && (float) $options->countdown !== 0.0) {
            return $this->after('countdown', $now, $options->countdown);
        }
        return $options->eta === null ? null : $this->readable('eta', $options->eta);
    }

    private function expires(TaskOptions $options, \DateTimeImmutable $now): ?\DateTimeImmutable
    {
        $expires = $options->expires;
        if ($expires === null) {
            return null;
        }
        return $expires instanceof \DateTimeImmutable
            ? $this->readable('expires', $expires)
            : $this->after('expires', $now, $expires);
    }

    /**
     * now + seconds in UTC, refused when a worker could not read it (see readable()).
     */
    private function after(string $option, \DateTimeImmutable $now, int|float $seconds): \DateTimeImmutable
    {
        $time = abs($seconds) > 1e12 ? null : $this->utc($this->addSeconds($now, $seconds));
        // Beyond 1e12 s the microseconds would overflow an int; the year 9999 is long past by then.
        if ($time === null || (int) $time->format('Y') < 1 || (int) $time->format('Y') > 9999) {
            throw InvalidOption::invalid($option, $seconds, self::UNREADABLE_TIME);
        }
        return $time;
    }

    /**
     * Workers parse eta/expires into a Python datetime, which only holds the years 1 to 9999;
     * a time outside them makes the worker drop the message as having an invalid eta/expires.
     */
    private function readable(string $option, \DateTimeImmutable $given): \DateTimeImmutable
    {
        $time = $this->utc($given);
        $year = (int) $time->format('Y');
        if ($year < 1 || $year > 9999) {
            throw InvalidOption::invalid($option, $given->format('Y-m-d\\TH:i:sP'), self::UNREADABLE_TIME);
        }
        return $time;
    }

    private function addSeconds(\DateTimeImmutable $time, int|float $seconds): \DateTimeImmutable
    {
        $micros = (int) round($seconds * 1_000_000);
        $whole = intdiv($micros, 1_000_000);
        $fraction = $micros % 1_000_000;
        return $time->modify(sprintf('%+d seconds %+d microseconds', $whole, $fraction));
    }

    private function secondsUntil(\DateTimeImmutable $time, \DateTimeImmutable $now): float
    {
        return (float) $time->format('U.u') - (float) $now->format('U.u');
    }

    private function utc(\DateTimeImmutable $time): \DateTimeImmutable
    {
        return $time->setTimezone(new \DateTimeZone('UTC'));
    }

    /**
     * @param list<Embeddable> $signatures
     * @return list<array<string, mixed>>|null
     */
    private function signatureList(array $signatures): ?array
    {
        return $signatures === [] ? null : array_map(static fn (Embeddable $c) => $c->toCelery(), $signatures);
    }
}
