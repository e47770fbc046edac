<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

/**
 * Something that travels inside a task message as Celery's signature dict (a callback, an
 * errback, a chain step, a chord body): every canvas is one. The message side knows it by
 * this interface only, so that canvases build on messages and not the other way round.
 */
interface Embeddable
{
    /**
     * The signature dict: task, args, kwargs, options, subtask_type, immutable.
     *
     * @internal
     * @return array<string, mixed>
     */
    public function toCelery(): array;
}
