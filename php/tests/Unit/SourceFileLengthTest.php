<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit;

use PHPUnit\Framework\TestCase;

/**
 * Issue 25: no file in php/src over 300 lines, so that each file keeps one job.
 */
final class SourceFileLengthTest extends TestCase
{
    private const MAX_LINES = 300;

    /** Being split while this was written (issue 25); remove each one as it comes under the limit. */
    private const BEING_SPLIT = [
        'Connection/ClientConnection.php',
        'Connection/PhpRedisConnection.php',
        'Connection/PredisConnection.php',
    ];

    public function testNoSourceFileIsOverTheLimit(): void
    {
        $src = dirname(__DIR__, 2) . '/src';
        $over = [];
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($src, \FilesystemIterator::SKIP_DOTS));
        foreach ($files as $file) {
            $relative = substr((string) $file, strlen($src) + 1);
            $lines = count(file((string) $file));
            if (str_ends_with($relative, '.php') && $lines > self::MAX_LINES && !in_array($relative, self::BEING_SPLIT, true)) {
                $over[$relative] = $lines;
            }
        }

        self::assertSame([], $over, 'files in php/src over ' . self::MAX_LINES . ' lines');
    }
}
