<?php

declare(strict_types=1);

namespace CeleryBridge\Canvas;

/**
 * XMap and XStarMap: one message of a built-in map task, routed by the mapped task's name.
 *
 * @internal
 */
interface MapCanvas extends Canvas
{
    /** The celery.map / celery.starmap call this form publishes. */
    public function call(): Signature;

    /**
     * The name task_routes sees: the mapped task's, as canvas.py's _basemap.apply_async passes
     * route_name = the inner task's name.
     */
    public function routeName(): string;
}
