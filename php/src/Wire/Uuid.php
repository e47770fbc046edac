<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

// Imported, so that PHP calls them without first looking for CeleryBridge\Wire\substr() etc.:
// ids are made for every publish.
use function array_pop;
use function bin2hex;
use function count;
use function getmypid;
use function min;
use function random_bytes;
use function str_repeat;
use function str_split;
use function strtr;
use function substr;

/**
 * Random (version 4) UUIDs, the form Celery uses for task ids and kombu for delivery tags.
 *
 * Ids are made in batches from one read of the system's random source (random_bytes(), as
 * Python's uuid4() reads os.urandom()) and handed out once each. A batch belongs to the process
 * that made it: after a fork (pcntl_fork(), a Swoole or RoadRunner worker forked from a master
 * that had published) the child would hand out the very ids its parent hands out next, so a
 * changed getmypid() drops the batch (checked once per batch of tasks between holdProcess() and
 * releaseProcess()). The first batch of a process is three ids, then four, and
 * each next one twice as large, up to BATCH: a PHP-FPM request that constructs a client (its
 * reply_to) and sends one task (its id and delivery tag) reads the random source once, for what
 * it uses.
 *
 * @internal
 */
final class Uuid
{
    /** The most ids made at once. */
    private const BATCH = 128;

    /**
     * Applied (&) to 36 random hex digits to make one id; strtr() with FROM and TO then writes
     * what it marked. A hex digit has bit 0x20 set and no bit 0x80 (0-9 are 0x30-0x39, a-f
     * 0x61-0x66): 0x00 marks a dash, 0x20 the version digit 4, and 0x1f turns the digit where
     * the variant goes into one of 16 distinct bytes (0x10-0x19, 0x01-0x06), which TO maps
     * four each onto 8, 9, a, b: the variant bits 10 and two random bits (RFC 4122, 4.4).
     */
    private const MASK = "\xff\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\x00\x20\xff\xff\xff"
        . "\x00\x1f\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    private const FROM = "\x00\x20\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x01\x02\x03\x04\x05\x06";
    private const TO = '-489ab89ab89ab89ab';

    /** @var list<string> ids not handed out yet */
    private static array $ids = [];
    /** The size of the next batch. */
    private static int $batch = 3;
    /** The process that made $ids. */
    private static int $pid = 0;
    /** Whether the caller builds a batch of messages now (see holdProcess()). */
    private static bool $held = false;

    public static function v4(): string
    {
        if (self::$ids === [] || (!self::$held && self::$pid !== getmypid())) {
            self::refill();
        }
        return array_pop(self::$ids);
    }

    /**
     * Two at once (a task id and its delivery tag): a client's first sendTask() takes them
     * (PlainPath takes the next from batches of its own, made by many()).
     *
     * @return array{string, string}
     */
    public static function pair(): array
    {
        if (count(self::$ids) < 2 || (!self::$held && self::$pid !== getmypid())) {
            self::refill();
        }
        return [array_pop(self::$ids), array_pop(self::$ids)];
    }

    /**
     * Checks the process once for the many ids a caller takes until releaseProcess(): sendMany()
     * builds all its messages in one go (getmypid() is a system call, about 0.2 us of the 5 us
     * a task of sendMany() takes). Code that forks in between (a generator of canvases that calls pcntl_fork())
     * would publish the rest of the send from two processes anyway.
     */
    public static function holdProcess(): void
    {
        if (self::$pid !== getmypid()) {
            self::$ids = [];
        }
        self::$held = true;
    }

    public static function releaseProcess(): void
    {
        self::$held = false;
    }

    /**
     * $count new ids of their own, none of them handed out by v4() or pair(): sendMany()
     * (ChunkBuilder) and sendTask() (PlainPath, after its first task) take the ids of many tasks
     * at once and index them, without a call per id. The caller checks the process itself.
     *
     * @return non-empty-list<string>
     */
    public static function many(int $count): array
    {
        return str_split(strtr(bin2hex(random_bytes(18 * $count)) & str_repeat(self::MASK, $count), self::FROM, self::TO), 36);
    }

    /**
     * A new batch (the ids left of the last one are dropped, at most one).
     */
    private static function refill(): void
    {
        $count = self::$batch;
        // Three first (see above), then 4, 8, ... BATCH: a long-running publisher reads the
        // random source as often as with batches of powers of two from the start.
        self::$batch = min(self::BATCH, $count === 3 ? 4 : $count * 2);
        self::$ids = self::many($count);
        self::$pid = getmypid();
    }

    /**
     * The canonical 8-4-4-4-12 form of 32 lower-case hex digits.
     */
    public static function fromHex(string $hex): string
    {
        return substr($hex, 0, 8) . '-' . substr($hex, 8, 4) . '-' . substr($hex, 12, 4) . '-'
            . substr($hex, 16, 4) . '-' . substr($hex, 20, 12);
    }
}
