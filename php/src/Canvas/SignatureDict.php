<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

use CeleryBridge\Message\Embeddable;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Wire\KombuJson;

/**
 * Celery's signature dict, the form in which canvas parts travel inside messages.
 *
 * @internal
 */
final class SignatureDict
{
    /**
     * @param list<mixed> $args kombu JSON data
     * @param array<string, mixed>|\stdClass $kwargs kombu JSON data
     * @return array<string, mixed>
     */
    public static function make(
        string $task,
        array $args,
        array|\stdClass $kwargs,
        \stdClass $options,
        ?string $subtaskType = null,
        bool $immutable = false,
    ): array {
        return [
            'task' => $task,
            'args' => $args,
            'kwargs' => $kwargs === [] ? new \stdClass() : $kwargs,
            'options' => $options,
            'subtask_type' => $subtaskType,
            'immutable' => $immutable,
        ];
    }

    /**
     * apply_async options as the worker reads them back: callbacks become signature dicts.
     */
    public static function options(TaskOptions $options): \stdClass
    {
        $dict = new \stdClass();
        foreach ($options->toArray() as $name => $value) {
            if ($name === 'stamps') {
                // A stamped signature carries each stamp as an option, as Celery's stamp() sets them.
                foreach ($options->stamps as $stamp => $stampValue) {
                    $dict->{$stamp} = $stampValue;
                }
                $dict->stamped_headers = array_keys($options->stamps);
                continue;
            }
            $dict->{$name} = match (true) {
                $value instanceof Embeddable => $value->toCelery(),
                is_array($value) && $value !== [] && ($value[0] ?? null) instanceof Embeddable
                    => array_map(static fn (Embeddable $c) => $c->toCelery(), $value),
                default => KombuJson::normalize($value, 'options.' . $name),
            };
        }
        return $dict;
    }
}
