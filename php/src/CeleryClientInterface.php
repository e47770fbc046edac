<?php

declare(strict_types=1);

namespace CeleryBridge;

use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultSet;

/**
 * What an application does with Celery: send tasks and canvases, read their results, revoke.
 *
 * CeleryClient implements it over Redis; Testing\CeleryFake records the calls instead, so an
 * application that type-hints this interface can be tested without a broker.
 */
interface CeleryClientInterface
{
    /**
     * Sends one task by name, like Celery's app.send_task().
     *
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @param array<string, mixed> $options Celery's apply_async option names
     * @throws CeleryBridgeException
     */
    public function sendTask(string $name, array $args = [], array $kwargs = [], array $options = []): AsyncResult;

    /**
     * Sends a Signature, Chain, Group or Chord with apply_async options laid over it.
     *
     * @param array<string, mixed> $options
     * @param list<mixed> $args partial arguments
     * @param array<string, mixed> $kwargs partial keyword arguments
     * @throws CeleryBridgeException
     */
    public function send(Canvas $canvas, array $options = [], array $args = [], array $kwargs = []): AsyncResult|GroupResult;

    /**
     * Sends many canvases at once; every message is built before the first is written.
     *
     * @param iterable<Canvas> $canvases
     * @param array<string, mixed> $options
     * @return list<AsyncResult|GroupResult> in the order of $canvases
     * @throws CeleryBridgeException
     */
    public function sendMany(iterable $canvases, array $options = []): array;

    /**
     * A handle on a task's result from its id alone.
     */
    public function result(string $taskId): AsyncResult;

    /**
     * Handles on several results, read and waited for together.
     *
     * @param list<string|AsyncResult> $tasks task ids or results
     */
    public function results(array $tasks): ResultSet;

    /**
     * The group a GroupResult::save() stored, rebuilt from its id; null when none was saved.
     *
     * @throws CeleryBridgeException
     */
    public function restoreGroup(string $groupId): ?GroupResult;

    /**
     * Tells the workers to discard tasks, like Celery's app.control.revoke().
     *
     * @param string|list<string> $taskIds
     * @param list<string>|null $destination
     * @return int how many workers heard it
     * @throws CeleryBridgeException
     */
    public function revoke(
        string|array $taskIds,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int;
}
