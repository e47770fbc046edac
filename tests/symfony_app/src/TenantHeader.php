<?php

declare(strict_types=1);

namespace CeleryBridge\SymfonyApp;

use CeleryBridge\Message\OutgoingTask;

/**
 * A publish hook service named in celery_bridge.before_publish: a header every task carries.
 */
final class TenantHeader
{
    /**
     * @return array<string, mixed>
     */
    public function __invoke(OutgoingTask $task): array
    {
        return ['x-tenant' => 'acme'];
    }
}
