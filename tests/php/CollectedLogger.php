<?php

// A PSR-3 logger that keeps every record, for the logging tests. Psr\Log comes from Debian's
// php-psr-log (it is not among Composer's dependencies).

declare(strict_types=1);

namespace CeleryBridge\Tests\Php;

require_once '/usr/share/php/Psr/Log/autoload.php';

final class CollectedLogger extends \Psr\Log\AbstractLogger
{
    /** @var list<array{level: mixed, message: string, context: array<mixed>}> */
    public array $records = [];

    public function log($level, $message, array $context = []): void
    {
        $this->records[] = ['level' => $level, 'message' => (string) $message, 'context' => $context];
    }
}
