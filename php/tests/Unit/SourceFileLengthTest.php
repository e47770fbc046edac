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

    public function testNoSourceFileIsOverTheLimit(): void
    {
        $src = dirname(__DIR__, 2) . '/src';
        $over = [];
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($src, \FilesystemIterator::SKIP_DOTS));
        foreach ($files as $file) {
            $relative = substr((string) $file, strlen($src) + 1);
            $lines = count(file((string) $file));
            if (str_ends_with($relative, '.php') && $lines > self::MAX_LINES) {
                $over[$relative] = $lines;
            }
        }

        self::assertSame([], $over, 'files in php/src over ' . self::MAX_LINES . ' lines');
    }
}
