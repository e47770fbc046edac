<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Config;

use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Exception\InvalidConfiguration;
use PHPUnit\Framework\TestCase;

final class SettingNamesTest extends TestCase
{
    public function testOldNamesAreReadAsCeleryReadsThem(): void
    {
        self::assertSame(
            ['broker_url' => 'redis://h/1', 'task_default_queue' => 'q', 'task_routes' => ['a' => 'b'], 'result_expires' => 60],
            ClientConfig::withCeleryNames([
                'BROKER_URL' => 'redis://h/1', 'CELERY_DEFAULT_QUEUE' => 'q', 'CELERY_ROUTES' => ['a' => 'b'],
                'CELERY_TASK_RESULT_EXPIRES' => 60,
            ]),
        );
    }

    public function testDjangosNamespaceFormReadsEveryFormWithoutAMixError(): void
    {
        $config = ClientConfig::withCeleryNames([
            'CELERY_BROKER_URL' => 'redis://h/1', 'CELERY_TASK_DEFAULT_QUEUE' => 'q', 'CELERY_DEFAULT_EXCHANGE' => 'x',
            'task_routes' => [],
        ]);

        self::assertSame(
            ['task_default_exchange' => 'x', 'broker_url' => 'redis://h/1', 'task_default_queue' => 'q', 'task_routes' => []],
            $config,
        );
    }

    public function testOurOwnNamesDoNotCountAsMixing(): void
    {
        self::assertSame(
            ['broker_url' => 'x', 'redis_client' => 'predis'],
            ClientConfig::withCeleryNames(['BROKER_URL' => 'x', 'redis_client' => 'predis']),
        );
    }

    public function testTheNewNameWinsWhenASettingIsGivenTwice(): void
    {
        // Celery does not refuse a setting given under both names.
        $config = ClientConfig::withCeleryNames(['BROKER_URL' => 'x', 'CELERY_DEFAULT_QUEUE' => 'old', 'task_default_queue' => 'new']);

        self::assertSame('new', $config['task_default_queue']);
    }

    /**
     * @return iterable<string, array{array<string, mixed>, string}>
     */
    public static function refused(): iterable
    {
        yield 'old into new' => [
            ['broker_url' => 'x', 'task_routes' => [], 'CELERY_DEFAULT_QUEUE' => 'q'],
            '/Cannot mix Celery\'s old setting names with the new ones .*: rename CELERY_DEFAULT_QUEUE -> task_default_queue\./',
        ];
        yield 'new into old' => [
            ['BROKER_URL' => 'x', 'CELERY_DEFAULT_QUEUE' => 'q', 'task_routes' => []],
            '/Cannot mix new setting names into Celery\'s old ones .*: rename task_routes -> CELERY_ROUTES, or every/',
        ];
        yield 'old typo' => [['CELERY_DEFAULT_QUEU' => 'q'], '/"CELERY_DEFAULT_QUEU"\. Did you mean "CELERY_DEFAULT_QUEUE"/'];
        yield 'django typo' => [['CELERY_TASK_ROUTS' => []], '/Did you mean "CELERY_TASK_ROUTES"\?/'];
        yield 'new typo, any case' => [['Task_Default_Queu' => 'q'], '/Did you mean "task_default_queue"\?/'];
    }

    /**
     * @dataProvider refused
     * @param array<string, mixed> $config
     */
    public function testRefusedWithTheFix(array $config, string $message): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessageMatches($message);

        ClientConfig::withCeleryNames($config);
    }
}
