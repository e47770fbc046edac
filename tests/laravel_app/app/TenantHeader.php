<?php

declare(strict_types=1);

namespace CeleryBridge\LaravelApp;

use CeleryBridge\Message\OutgoingTask;

/**
 * A publish hook from config/celery.php's before_publish: a header every task carries.
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
