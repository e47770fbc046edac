<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Backend;

/**
 * Stores a result the way Celery's Redis backend does (MULTI; SETEX; PUBLISH; EXEC) from a
 * second PHP process, as soon as the key's channel has a subscriber: that is, while a wait is
 * in progress, never after a guessed delay.
 */
final class StoreLater
{
    /** @var resource */
    private $process;

    /**
     * @param list<array{string, string}> $writes [key, value] pairs, stored in order
     */
    public function __construct(string $redisUrl, array $writes, string $channel)
    {
        $code = <<<'PHP'
            [$url, $writes, $channel] = unserialize(stream_get_contents(STDIN));
            $p = parse_url($url);
            $r = new Redis();
            $r->connect($p['host'], $p['port']);
            if (isset($p['pass'])) { $r->auth(rawurldecode($p['pass'])); }
            $r->select((int) trim($p['path'] ?? '/0', '/'));
            $deadline = microtime(true) + 10;
            while (($r->pubsub('numsub', [$channel])[$channel] ?? 0) < 1) {
                if (microtime(true) > $deadline) { fwrite(STDERR, "nobody subscribed\n"); exit(1); }
                usleep(500);
            }
            foreach ($writes as [$key, $value]) {
                $r->multi()->setEx($key, 86400, $value)->publish($key, $value)->exec();
            }
            echo sprintf('%.6f', hrtime(true) / 1e9);
            PHP;
        $process = proc_open([PHP_BINARY, '-r', $code], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start the helper process');
        }
        // Through stdin: a large value would not fit in one command-line argument.
        fwrite($pipes[0], serialize([$redisUrl, $writes, $channel]));
        fclose($pipes[0]);
        $this->process = $process;
        $this->pipes = $pipes;
    }

    /** @var array<int, resource> */
    private array $pipes;

    /**
     * Waits for the helper to finish; returns the hrtime (seconds) right after its last write.
     */
    public function storedAt(): float
    {
        $out = stream_get_contents($this->pipes[1]);
        $err = stream_get_contents($this->pipes[2]);
        $code = proc_close($this->process);
        if ($code !== 0) {
            throw new \RuntimeException(sprintf('helper failed (%d): %s', $code, $err));
        }
        return (float) $out;
    }
}
