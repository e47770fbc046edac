<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Message\TaskOptions;

/**
 * Celery's xstarmap (`task.starmap(it)`): one celery.starmap task. Calls the task once per
 * item with the item's values as its positional arguments, in sequence in one worker process
 * (not in parallel like a Group), and returns the list of results:
 *
 *     new XStarMap(new Signature('tasks.add'), [[1, 2], [3, 4]])   // [3, 7]
 *
 * The message is celery.starmap with kwargs {"task": <the signature>, "it": [...]}; task_routes
 * route it by the mapped task's name, as Celery does. It is immutable (a parent's result is
 * never prepended), and may stand wherever a Signature may: alone, as a chain step, in a group,
 * a chord header or body, or as a callback.
 */
final class XStarMap extends MapForm
{
    /**
     * @param Signature $signature the task to call; only its name reaches the worker's call
     * @param iterable<mixed> $items
     * @param array<string, mixed>|TaskOptions $options apply_async options of the celery.starmap message
     * @throws InvalidTaskArgument|InvalidOption
     */
    public function __construct(Signature $signature, iterable $items, array|TaskOptions $options = [])
    {
        parent::__construct('celery.starmap', true, $signature, $items, $options);
    }
}
