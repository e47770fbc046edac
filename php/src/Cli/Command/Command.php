<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Cli\Arguments;
use CeleryBridge\Cli\UsageError;
use CeleryBridge\Exception\CeleryBridgeException;

/**
 * One `celery-bridge` command. Each class also has `public const USAGE`, the text its --help
 * prints (Application shows it without making the command).
 *
 * @internal
 */
interface Command
{
    /**
     * @param Arguments $args the whole command line; words[0] is the command's name
     * @return int the exit code (Application's constants)
     * @throws UsageError|CeleryBridgeException Application turns them into exit codes
     */
    public function run(Arguments $args): int;
}
