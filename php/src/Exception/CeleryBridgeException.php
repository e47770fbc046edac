<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * Marker for every exception CeleryBridge throws: catch this to catch them all.
 */
interface CeleryBridgeException extends \Throwable
{
}
