<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

/**
 * A command line that cannot run: unknown command or option, missing or malformed value.
 * The CLI prints it with the command's usage and exits with 2.
 *
 * @internal
 */
final class UsageError extends \RuntimeException
{
}
