<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * RESP2 replies out of the bytes a connection has read so far: the result wait's subscriber
 * connection (PubSubWaiter) feeds it what arrives and takes complete replies out. An error
 * reply is thrown typed (Failure::reply(): WRONGPASS, NOAUTH, NOPERM are AuthenticationFailed).
 *
 * @internal
 */
final class RespReader
{
    private string $buffer = '';

    public function __construct(private readonly Endpoint $endpoint)
    {
    }

    public function feed(string $bytes): void
    {
        $this->buffer .= $bytes;
    }

    public function clear(): void
    {
        $this->buffer = '';
    }

    /**
     * Takes one complete reply into $reply; false while the buffer holds none yet.
     *
     * @param string $command what the reply answers (for the error message)
     * @param-out mixed $reply
     * @throws ConnectionFailed on an error reply or data that is not RESP
     */
    public function next(string $command, mixed &$reply): bool
    {
        $offset = 0;
        $reply = $this->parse($offset, $command);
        if ($offset === 0) {
            $reply = null;
            return false;
        }
        $this->buffer = (string) substr($this->buffer, $offset);
        return true;
    }

    /**
     * Parses one reply at $offset; leaves $offset at 0 when the buffer holds no complete reply.
     *
     * @throws ConnectionFailed
     */
    private function parse(int &$offset, string $command): mixed
    {
        $end = strpos($this->buffer, "\r\n", $offset);
        if ($end === false) {
            $offset = 0;
            return null;
        }
        $type = $this->buffer[$offset] ?? '';
        $line = substr($this->buffer, $offset + 1, $end - $offset - 1);
        $offset = $end + 2;
        switch ($type) {
            case '+':
                return $line;
            case '-':
                throw Failure::reply($this->endpoint, $line);
            case ':':
                return (int) $line;
            case '$':
                $length = (int) $line;
                if ($length < 0) {
                    return null;
                }
                if (strlen($this->buffer) < $offset + $length + 2) {
                    $offset = 0;
                    return null;
                }
                $value = substr($this->buffer, $offset, $length);
                $offset += $length + 2;
                return $value;
            case '*':
                $count = (int) $line;
                if ($count < 0) {
                    return null;
                }
                $items = [];
                for ($i = 0; $i < $count; $i++) {
                    $item = $this->parse($offset, $command);
                    if ($offset === 0) {
                        return null;
                    }
                    $items[] = $item;
                }
                return $items;
            default:
                throw Failure::unexpectedReply($this->endpoint, $command, 'data that is not RESP');
        }
    }
}
