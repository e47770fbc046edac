<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire\Fixtures;

use PHPUnit\Framework\Assert;

/**
 * The ids a forked child makes next to those its parent makes next, from the same state: a
 * child that took its parent's held ids would send tasks with the parent's ids (a worker
 * would run one and drop the other as a duplicate delivery tag).
 */
final class ForkedIds
{
    /**
     * @param \Closure(): list<string> $next the next ids, called once in the child, then in the parent
     * @return array{list<string>, list<string>} the parent's ids and the child's
     */
    public static function parentAndChild(\Closure $next): array
    {
        $file = (string) tempnam(sys_get_temp_dir(), 'forked-ids');
        try {
            $pid = pcntl_fork();
            Assert::assertNotSame(-1, $pid, 'fork failed');
            if ($pid === 0) {
                file_put_contents($file, implode(',', $next()));
                // Ends the child without PHPUnit's shutdown functions.
                pcntl_exec('/bin/true');
            }
            pcntl_waitpid($pid, $status);
            return [$next(), explode(',', (string) file_get_contents($file))];
        } finally {
            unlink($file);
        }
    }
}
