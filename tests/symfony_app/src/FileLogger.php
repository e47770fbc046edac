<?php

declare(strict_types=1);

namespace CeleryBridge\SymfonyApp;

use Psr\Log\AbstractLogger;

/**
 * The logger service named in celery_bridge.logger: one line per record in var/log/celery.log.
 */
final class FileLogger extends AbstractLogger
{
    public function __construct(private readonly string $path)
    {
    }

    /**
     * @param mixed $level
     * @param string|\Stringable $message
     * @param array<string, mixed> $context
     */
    public function log($level, $message, array $context = []): void
    {
        if (!is_dir(dirname($this->path))) {
            mkdir(dirname($this->path), 0777, true);
        }
        file_put_contents($this->path, sprintf("%s %s %s\n", $level, $message, json_encode($context)), FILE_APPEND);
    }
}
