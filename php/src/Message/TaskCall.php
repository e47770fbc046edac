<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

/**
 * One task call as MessageBuilder reads it: the name, the arguments as kombu JSON data and the
 * apply_async options (Canvas\Signature is the one implementation).
 *
 * @internal
 */
interface TaskCall
{
    public function taskName(): string;

    public function taskOptions(): TaskOptions;

    /**
     * @return list<mixed>
     */
    public function wireArgs(): array;

    public function wireKwargs(): \stdClass;
}
