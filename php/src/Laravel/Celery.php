<?php

declare(strict_types=1);

namespace CeleryBridge\Laravel;

use CeleryBridge\Canvas\Canvas;
use CeleryBridge\CeleryClientInterface;
use CeleryBridge\Testing\CeleryFake;
use Illuminate\Support\Facades\Facade;

/**
 * The Celery facade: `Celery::sendTask('tasks.add', [2, 3])`, and in tests `Celery::fake()`,
 * which puts a Testing\CeleryFake (with the application's Celery settings) in place of the
 * client, for the facade and for every class that type-hints CeleryClientInterface.
 *
 * @method static \CeleryBridge\Result\AsyncResult sendTask(string $name, array $args = [], array $kwargs = [], array $options = [])
 * @method static \CeleryBridge\Result\AsyncResult|\CeleryBridge\Result\GroupResult send(Canvas $canvas, array $options = [])
 * @method static list<\CeleryBridge\Result\AsyncResult|\CeleryBridge\Result\GroupResult> sendMany(iterable $canvases, array $options = [])
 * @method static \CeleryBridge\Result\AsyncResult result(string $taskId)
 * @method static \CeleryBridge\Result\ResultSet results(array $tasks)
 * @method static \CeleryBridge\Result\GroupResult|null restoreGroup(string $groupId)
 * @method static int revoke(string|array $taskIds, bool $terminate = false, string|int $signal = 'SIGTERM', ?array $destination = null)
 *
 * @see \CeleryBridge\CeleryClientInterface
 * @see \CeleryBridge\Testing\CeleryFake for the assertions after fake()
 */
final class Celery extends Facade
{
    /**
     * Replaces the client with a fake that records what is sent, and returns it.
     */
    public static function fake(): CeleryFake
    {
        $config = static::getFacadeApplication()?->make('config')->get('celery', []);
        $fake = new CeleryFake(ClientFactory::settings(is_array($config) ? $config : []));
        static::swap($fake);
        return $fake;
    }

    protected static function getFacadeAccessor(): string
    {
        return CeleryClientInterface::class;
    }
}
