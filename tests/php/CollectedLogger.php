<?php

// A PSR-3 logger that keeps every record, for the logging tests. Needs Psr\Log loaded first
// (Debian's php-psr-log: /usr/share/php/Psr/Log/autoload.php).

declare(strict_types=1);

namespace CeleryBridge\Tests\Php;

final class CollectedLogger extends \Psr\Log\AbstractLogger
{
    /** @var list<array{level: mixed, message: string, context: array<mixed>}> */
    public array $records = [];

    public function log($level, $message, array $context = []): void
    {
        $this->records[] = ['level' => $level, 'message' => (string) $message, 'context' => $context];
    }
}
