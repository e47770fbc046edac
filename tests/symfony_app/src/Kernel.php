<?php

declare(strict_types=1);

namespace CeleryBridge\SymfonyApp;

use CeleryBridge\Symfony\CeleryBridgeBundle;
use Symfony\Bundle\FrameworkBundle\FrameworkBundle;
use Symfony\Bundle\FrameworkBundle\Kernel\MicroKernelTrait;
use Symfony\Component\DependencyInjection\Loader\Configurator\ContainerConfigurator;
use Symfony\Component\HttpKernel\Kernel as BaseKernel;
use Symfony\Component\Routing\Loader\Configurator\RoutingConfigurator;

final class Kernel extends BaseKernel
{
    use MicroKernelTrait;

    public function registerBundles(): iterable
    {
        return [new FrameworkBundle(), new CeleryBridgeBundle()];
    }

    public function getProjectDir(): string
    {
        return dirname(__DIR__);
    }

    protected function configureContainer(ContainerConfigurator $container): void
    {
        $container->import($this->getProjectDir() . '/config/packages/*.yaml');
        $container->services()
            ->set(TaskController::class)->autowire()->autoconfigure()->public()
            ->set(TenantHeader::class)
            ->set(FileLogger::class)->args(['%kernel.logs_dir%/celery.log']);
    }

    protected function configureRoutes(RoutingConfigurator $routes): void
    {
        $routes->add('add', '/add')->controller([TaskController::class, 'add']);
        $routes->add('echo', '/echo')->controller([TaskController::class, 'echo']);
        $routes->add('nothing', '/nothing')->controller([TaskController::class, 'nothing']);
    }
}
