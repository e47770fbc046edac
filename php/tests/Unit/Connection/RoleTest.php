<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\Dsn;
use CeleryBridge\Connection\Role;
use CeleryBridge\Exception\InvalidBrokerUrl;
use PHPUnit\Framework\TestCase;

final class RoleTest extends TestCase
{
    public function testTheDeprecatedStringsStillSelectTheRole(): void
    {
        self::assertSame(Role::Backend, Dsn::fromString('redis://h/0', Dsn::BACKEND)->role);
        self::assertSame(Role::Broker, Dsn::fromString('redis://h/0', 'broker')->role);
        self::assertSame(ConnectionOptions::defaults(Role::Backend), ConnectionOptions::defaults(ConnectionOptions::BACKEND));
        self::assertSame(Role::Backend, ConnectionOptions::fromConfig(['redis_client' => 'predis'], 'backend')->role);
    }

    public function testAnUnknownRoleIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage('Unknown role "worker": expected Role::Broker or Role::Backend.');
        Dsn::fromString('redis://h/0', 'worker');
    }

    public function testMessagesNameTheRolesSettings(): void
    {
        try {
            ConnectionOptions::defaults(Role::Backend)->connect('rediss://h/0');
            self::fail('A rediss:// URL without ssl_cert_reqs was accepted.');
        } catch (InvalidBrokerUrl $e) {
            self::assertStringContainsString('a rediss:// result backend needs ssl_cert_reqs', $e->getMessage());
            self::assertStringContainsString('in redis_backend_use_ssl', $e->getMessage());
        }
    }
}
