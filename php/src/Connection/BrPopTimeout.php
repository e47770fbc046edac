<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * The timeout a BRPOP sends, in the form the server takes: Redis 6 takes fractions of a second;
 * Redis 5 only whole ones, and a timeout of 0 would wait for ever. Loaded by the first brPop()
 * (remote control's replies); sending never needs it.
 *
 * @internal
 */
final class BrPopTimeout
{
    /** Whether the server refused a fraction of a second as a BRPOP timeout (Redis 5). */
    private bool $wholeSeconds = false;

    /**
     * Runs $pop (BRPOP with the timeout it is given) for about $seconds; returns [key, value],
     * or null when the timeout passed.
     *
     * @param \Closure(string): mixed $pop
     * @return array{string, string}|null
     * @throws ConnectionFailed
     */
    public function pop(float $seconds, \Closure $pop): ?array
    {
        $timeout = $this->wholeSeconds ? (string) max(1, (int) ceil($seconds)) : sprintf('%.3F', max(0.001, $seconds));
        try {
            $reply = $pop($timeout);
        } catch (ConnectionFailed $e) {
            if ($this->wholeSeconds || !str_contains($e->getMessage(), 'timeout is not')) {
                throw $e;
            }
            // "ERR timeout is not an integer or out of range": refused, so nothing was popped.
            $this->wholeSeconds = true;
            return $this->pop($seconds, $pop);
        }
        return is_array($reply) && count($reply) === 2 ? [(string) $reply[0], (string) $reply[1]] : null;
    }
}
