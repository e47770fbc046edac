<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Wire\KombuJson;
use PHPUnit\Framework\TestCase;

final class KombuJsonKeysTest extends TestCase
{
    public function testAKeyStartingWithNulIsOurError(): void
    {
        foreach ([[['a' => ["\0x" => 1]]], [[(object) ['k' => ["\0" => 1]]]]] as [$args]) {
            try {
                new Signature('tasks.echo', [$args]);
                self::fail('accepted a key starting with NUL');
            } catch (InvalidTaskArgument $e) {
                self::assertStringContainsString('starts with a NUL character', $e->getMessage());
            }
        }
    }

    public function testANulLaterInAKeyIsCarried(): void
    {
        self::assertSame('{"a\u0000b":1}', KombuJson::encode(KombuJson::normalize(["a\0b" => 1])));
    }
}
