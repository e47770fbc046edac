<?php

declare(strict_types=1);

namespace CeleryBridge\Symfony\DependencyInjection;

use CeleryBridge\CeleryClient;
use Symfony\Component\Config\Definition\Builder\TreeBuilder;
use Symfony\Component\Config\Definition\ConfigurationInterface;

/**
 * The `celery_bridge:` tree. The Celery settings and a literal broker URL are checked by the
 * client itself (a client is made, which does no I/O), so an error reads as it does at run time.
 *
 * @internal
 */
final class Configuration implements ConfigurationInterface
{
    public function getConfigTreeBuilder(): TreeBuilder
    {
        $tree = new TreeBuilder('celery_bridge');
        $tree->getRootNode()
            ->children()
                ->scalarNode('broker_url')
                    ->info("Celery's broker_url (redis://, rediss://, sentinel://, unix://)")
                    ->defaultValue('%env(CELERY_BROKER_URL)%')
                ->end()
                // A variable node: %env(default::...)% may be null, which a scalar node's type check refuses.
                ->variableNode('result_backend')
                    ->info("Celery's result_backend; null for none")
                    ->defaultValue('%env(default::CELERY_RESULT_BACKEND)%')
                ->end()
                ->arrayNode('settings')
                    ->info('Any Celery setting under its own name: task_routes, task_default_queue, task_send_sent_event, ...')
                    ->normalizeKeys(false)
                    ->useAttributeAsKey('name')
                    ->variablePrototype()->end()
                ->end()
                ->scalarNode('logger')
                    ->info('The PSR-3 logger service (e.g. monolog.logger.celery); null for none')
                    ->defaultValue('logger')
                ->end()
                ->arrayNode('before_publish')
                    ->info('Invokable services called before each task is written; they may return headers to add')
                    ->scalarPrototype()->end()
                ->end()
                ->arrayNode('after_publish')
                    ->info('Invokable services called once each task is written')
                    ->scalarPrototype()->end()
                ->end()
                ->booleanNode('fake')
                    ->info('Testing\CeleryFake in place of the client (for when@test)')
                    ->defaultFalse()
                ->end()
            ->end()
            ->validate()
                ->always(static function (array $config): array {
                    self::check($config);
                    return $config;
                })
            ->end();
        return $tree;
    }

    /**
     * @param array<string, mixed> $config
     */
    private static function check(array $config): void
    {
        $settings = $config['settings'] ?? [];
        $url = $config['broker_url'] ?? null;
        // An %env()% value is only known at run time; the client checks it then.
        $literal = is_string($url) && !str_contains($url, 'env_') && !str_contains($url, '%env(');
        if (self::hasPlaceholder($settings)) {
            return;
        }
        new CeleryClient($literal ? $url : 'redis://127.0.0.1:6379/0', null, $settings);
    }

    private static function hasPlaceholder(mixed $value): bool
    {
        if (is_array($value)) {
            foreach ($value as $one) {
                if (self::hasPlaceholder($one)) {
                    return true;
                }
            }
            return false;
        }
        return is_string($value) && (str_contains($value, '%env(') || preg_match('/^env_[0-9a-f]{16}_/', $value) === 1);
    }
}
