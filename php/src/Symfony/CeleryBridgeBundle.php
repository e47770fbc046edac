<?php

declare(strict_types=1);

namespace CeleryBridge\Symfony;

use CeleryBridge\Symfony\DependencyInjection\CeleryBridgeExtension;
use Symfony\Component\DependencyInjection\Extension\ExtensionInterface;
use Symfony\Component\HttpKernel\Bundle\Bundle;

/**
 * Symfony's entry point: the `celery_bridge:` configuration, the client (autowirable as
 * CeleryClient and CeleryClientInterface), the celery:* console commands, and the
 * Testing\CeleryFake in its place where `fake: true` (a `when@test:` block).
 */
final class CeleryBridgeBundle extends Bundle
{
    public function getContainerExtension(): ?ExtensionInterface
    {
        return $this->extension ??= new CeleryBridgeExtension();
    }
}
