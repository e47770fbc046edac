<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Message\TaskOptions;

/**
 * The message shape of Celery's built-in map tasks (celery/app/builtins.py): celery.map and
 * celery.starmap take kwargs {"task": <signature dict>, "it": [...]}, celery.chunks also "n";
 * no positional arguments, and the signature is immutable, as canvas.py's xmap, xstarmap and
 * chunks build it. The worker runs the mapped task in its own process, once per item, and
 * returns the list of results; only the task's name in the signature dict matters to it.
 *
 * @internal
 */
final class BuiltinMap
{
    private function __construct()
    {
    }

    /**
     * The items as a list; for the star forms each item must be a list of positional arguments
     * (Python's tuples), which celery.starmap spreads into the call.
     *
     * @param iterable<mixed> $items
     * @return list<mixed>
     * @throws InvalidTaskArgument
     */
    public static function items(iterable $items, bool $star, string $form): array
    {
        $list = [];
        foreach ($items as $item) {
            if ($star && (!is_array($item) || !array_is_list($item))) {
                throw InvalidTaskArgument::at($form . ' items', sprintf(
                    'item %d is %s; each item is the list of positional arguments of one call, e.g. [2, 3] '
                    . 'for add(2, 3) (celery.starmap calls task(*item)).',
                    count($list),
                    get_debug_type($item),
                ));
            }
            $list[] = $item;
        }
        return $list;
    }

    /**
     * The built-in task's call: kwargs {task, it} (and n for chunks), immutable.
     *
     * @param list<mixed> $items
     * @throws InvalidTaskArgument
     */
    public static function call(string $builtin, Signature $signature, array $items, TaskOptions $options, ?int $n = null): Signature
    {
        $kwargs = ['task' => $signature->toCelery(), 'it' => $items];
        if ($n !== null) {
            $kwargs['n'] = $n;
        }
        return new Signature($builtin, [], $kwargs, $options, true);
    }
}
