<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

/**
 * A publisher's retry policy for one call: apply_async's retry and retry_policy options
 * replace task_publish_retry(_policy) for that call only (RetryPolicy::forCall() merges them
 * as Celery does), then the publisher's own policy applies again.
 *
 * @internal used by RetryingPublisher (Redis) and AmqpTransport
 */
trait RetriesPerCall
{
    /** The policy of the publish under way when its call gave retry or retry_policy. */
    private ?RetryPolicy $callPolicy = null;

    /**
     * Runs $publish under $policy.
     *
     * @template T
     * @param \Closure(): T $publish
     * @return T
     */
    public function using(RetryPolicy $policy, \Closure $publish): mixed
    {
        $this->callPolicy = $policy;
        try {
            return $publish();
        } finally {
            $this->callPolicy = null;
        }
    }
}
