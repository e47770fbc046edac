<?php

declare(strict_types=1);

namespace CeleryBridge\Symfony\DependencyInjection;

use CeleryBridge\CeleryClient;
use CeleryBridge\CeleryClientInterface;
use CeleryBridge\Symfony\Command\CliCommand;
use CeleryBridge\Testing\CeleryFake;
use Symfony\Component\DependencyInjection\ContainerBuilder;
use Symfony\Component\DependencyInjection\ContainerInterface;
use Symfony\Component\DependencyInjection\Definition;
use Symfony\Component\DependencyInjection\Extension\Extension;
use Symfony\Component\DependencyInjection\Reference;

/**
 * Turns `celery_bridge:` into services: celery_bridge.client (CeleryClient, made on first use,
 * connecting on its first publish), celery_bridge.fake, the autowiring aliases and the commands.
 *
 * @internal
 */
final class CeleryBridgeExtension extends Extension
{
    public function getAlias(): string
    {
        return 'celery_bridge';
    }

    /**
     * @param array<array<string, mixed>> $configs
     */
    public function load(array $configs, ContainerBuilder $container): void
    {
        $config = $this->processConfiguration(new Configuration(), $configs);
        $broker = $config['broker_url'];
        $backend = $config['result_backend'] === '' ? null : $config['result_backend'];
        $settings = $config['settings'];

        $client = new Definition(CeleryClient::class, [$broker, $backend, $settings]);
        if ($config['logger'] !== null && $config['logger'] !== '') {
            $client->setArgument(3, new Reference($config['logger'], ContainerInterface::NULL_ON_INVALID_REFERENCE));
            // With MonologBundle, the default logger becomes the "celery" channel.
            $client->addTag('monolog.logger', ['channel' => 'celery']);
        }
        foreach ($config['before_publish'] as $hook) {
            $client->addMethodCall('beforePublish', [new Reference($hook)]);
        }
        foreach ($config['after_publish'] as $hook) {
            $client->addMethodCall('afterPublish', [new Reference($hook)]);
        }
        $container->setDefinition('celery_bridge.client', $client);
        $container->setDefinition('celery_bridge.fake', new Definition(CeleryFake::class, [$settings]))->setPublic(true);
        $container->setAlias(CeleryClient::class, 'celery_bridge.client');
        $container->setAlias(CeleryClientInterface::class, $config['fake'] ? 'celery_bridge.fake' : 'celery_bridge.client')
            ->setPublic(true);

        $defaults = ['broker' => $broker, 'backend' => $backend, 'config' => $settings];
        foreach (CliCommand::NAMES as $name) {
            $container->setDefinition('celery_bridge.command.' . $name, new Definition(CliCommand::class, [$name, $defaults]))
                ->addTag('console.command', ['command' => 'celery:' . $name]);
        }
    }

    public function getConfiguration(array $config, ContainerBuilder $container): Configuration
    {
        return new Configuration();
    }
}
