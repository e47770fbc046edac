<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\Describe;
use CeleryBridge\Exception\ResultTooLarge;

/**
 * Undoes Celery 5.7's result_compression, never inflating more than the size limit: a few
 * hundred bytes of bzip2 can expand to gigabytes, so both methods inflate step by step and stop
 * at the limit instead of letting PHP run out of memory.
 *
 * Stored value: "\x00celery-compressed\x00" + <mime type> + "\x00" + <compressed meta>
 * (celery.backends.base.compress_payload()).
 *
 * @internal
 */
final class Decompressor
{
    public const MAGIC = "\x00celery-compressed\x00";

    /** Input fed to zlib per step: zlib expands at most ~1032x, so a step yields at most ~8 MB. */
    private const ZLIB_STEP = 8192;

    private const BZIP2_STEP = 1048576;

    /**
     * @param int|null $maxSize bytes after decompression; null = no limit
     */
    public function __construct(private readonly ?int $maxSize)
    {
    }

    /**
     * @throws \UnexpectedValueException|ResultTooLarge
     */
    public function decompress(string $payload, string $taskId): string
    {
        if (!str_starts_with($payload, self::MAGIC)) {
            return $payload;
        }
        $end = strpos($payload, "\x00", strlen(self::MAGIC));
        if ($end === false) {
            throw new \UnexpectedValueException('the result_compression marker is not followed by a content type.');
        }
        $contentType = substr($payload, strlen(self::MAGIC), $end - strlen(self::MAGIC));
        $body = substr($payload, $end + 1);
        // kombu resolves its aliases on the reading side too, so accept them as well.
        return match (Compression::mimeType($contentType) ?? $contentType) {
            Compression::ZLIB => $this->zlib($body, $contentType, $taskId),
            Compression::BZIP2 => $this->bzip2($body, $contentType, $taskId),
            'application/x-brotli', 'brotli', 'application/zstd', 'zstd', 'zstandard',
            'application/x-lzma', 'lzma', 'xz' => throw new \UnexpectedValueException(sprintf(
                'it is compressed with %s (result_compression), which CeleryBridge cannot inflate within a '
                . 'size limit; use zlib or bzip2 as result_compression.',
                $contentType,
            )),
            default => throw new \UnexpectedValueException(sprintf(
                'it is compressed with %s, which is not a compression kombu knows.',
                Describe::value($contentType),
            )),
        };
    }

    private function zlib(string $body, string $contentType, string $taskId): string
    {
        $context = inflate_init(ZLIB_ENCODING_DEFLATE);
        $plain = '';
        $length = strlen($body);
        for ($at = 0; $at < $length; $at += self::ZLIB_STEP) {
            $last = $at + self::ZLIB_STEP >= $length;
            $chunk = self::quietly(static fn () => inflate_add(
                $context,
                substr($body, $at, self::ZLIB_STEP),
                $last ? ZLIB_FINISH : ZLIB_SYNC_FLUSH,
            ), $error);
            if (!is_string($chunk)) {
                throw self::corrupt($contentType, $error);
            }
            $plain .= $chunk;
            $this->check(strlen($plain), $taskId);
        }
        if ($length === 0 || inflate_get_status($context) !== ZLIB_STREAM_END) {
            throw self::corrupt($contentType, 'the stream is truncated');
        }
        return $plain;
    }

    private function bzip2(string $body, string $contentType, string $taskId): string
    {
        if (!function_exists('bzopen')) {
            throw new \UnexpectedValueException(sprintf(
                'it is compressed with %s (result_compression), which needs ext-bz2 in PHP; '
                . 'use zlib as result_compression, or install the extension.',
                $contentType,
            ));
        }
        $source = fopen('data://application/octet-stream;base64,' . base64_encode($body), 'rb');
        $stream = $source === false ? false : self::quietly(static fn () => bzopen($source, 'r'), $error);
        if (!is_resource($stream)) {
            throw self::corrupt($contentType, $error ?? 'cannot open it');
        }
        try {
            $plain = '';
            while (!feof($stream)) {
                // bzread() inflates only as much as it is asked for.
                $chunk = self::quietly(static fn () => bzread($stream, self::BZIP2_STEP), $error);
                $status = bzerror($stream);
                if (!is_string($chunk) || ($status['errno'] ?? 0) < 0) {
                    throw self::corrupt($contentType, $error ?? (string) ($status['errstr'] ?? 'bad data'));
                }
                if ($chunk === '') {
                    break;
                }
                $plain .= $chunk;
                $this->check(strlen($plain), $taskId);
            }
        } finally {
            bzclose($stream);
        }
        if ($plain === '') {
            throw self::corrupt($contentType, 'it holds no data');
        }
        return $plain;
    }

    private function check(int $size, string $taskId): void
    {
        if ($this->maxSize !== null && $size > $this->maxSize) {
            throw ResultTooLarge::inflated($taskId, $this->maxSize);
        }
    }

    private static function corrupt(string $contentType, ?string $why): \UnexpectedValueException
    {
        return new \UnexpectedValueException(sprintf('its %s body does not decompress (%s).', $contentType, $why ?? 'bad data'));
    }

    private static function quietly(\Closure $call, ?string &$error): mixed
    {
        $error = null;
        set_error_handler(static function (int $no, string $message) use (&$error): bool {
            $error = preg_replace('/^\w+\(\): /', '', $message);
            return true;
        });
        try {
            return $call();
        } finally {
            restore_error_handler();
        }
    }
}
