<?php

declare(strict_types=1);

namespace CeleryBridge\Wire\Amqp;

use CeleryBridge\Exception\SerializationFailed;

/**
 * The payload of a content header frame (frame type 2) that follows basic.publish: class 60
 * (basic), weight 0, the body size as an unsigned 64-bit integer, then the properties. The
 * body itself follows in body frames of at most frame_max - 8 bytes each.
 *
 * @internal
 */
final class ContentHeader
{
    private const CLASS_BASIC = 60;

    private function __construct()
    {
    }

    /**
     * @throws SerializationFailed
     */
    public static function encode(int $bodySize, BasicProperties $properties): string
    {
        return Octets::short(self::CLASS_BASIC)
            . Octets::short(0)
            . Octets::unsignedLongLong($bodySize, 'body size')
            . $properties->encode();
    }
}
