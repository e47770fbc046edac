<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit;

use CeleryBridge\CeleryClient;
use CeleryBridge\Publish\Publisher;
use PHPUnit\Framework\TestCase;

/** CeleryClient's constants are Publisher's, written out as literals (see CeleryClient). */
final class CeleryClientConstantsTest extends TestCase
{
    public function testTheClientsConstantsArePublishers(): void
    {
        self::assertSame(Publisher::CHUNK, CeleryClient::CHUNK);
        self::assertSame(Publisher::KWARGS_LIKE_OPTIONS, CeleryClient::KWARGS_LIKE_OPTIONS);
    }
}
