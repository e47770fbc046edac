<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * How control commands reach the workers: kombu's pidbox Mailbox, a fanout exchange
 * "<control_exchange>.pidbox" every worker listens on, and one reply queue per question.
 * RedisMailbox is the Redis transport's; WorkerControl only builds commands and reads answers.
 *
 * @internal
 */
interface Mailbox
{
    /** The mailbox exchange name, "<control_exchange>.pidbox", also in the envelope's delivery_info. */
    public function exchange(): string;

    /**
     * Publishes a command no worker answers.
     *
     * @return int how many connections heard it (0: no worker did)
     * @throws ConnectionFailed
     */
    public function tell(Broadcast $command): int;

    /**
     * Publishes $command with a fresh reply queue (Broadcast::replyTo()) and collects the
     * workers' replies until $timeout seconds have passed or $limit workers (0: no limit)
     * have answered. $timeout and $limit are already checked (WorkerControl).
     *
     * @return array<string, mixed> node name => its reply, in the order they came
     * @throws ConnectionFailed
     */
    public function ask(Broadcast $command, float $timeout, int $limit): array;
}
