<?php

declare(strict_types=1);

namespace CeleryBridge\Testing;

/**
 * CeleryFake's assertions fail the way the test runner expects: through PHPUnit's Assert when
 * PHPUnit is loaded (an AssertionFailedError, and a passing assertion is counted), else with
 * an \AssertionError.
 *
 * @internal
 */
final class FakeAssert
{
    private function __construct()
    {
    }

    public static function that(bool $holds, string $message): void
    {
        if (class_exists(\PHPUnit\Framework\Assert::class)) {
            \PHPUnit\Framework\Assert::assertTrue($holds, $message);
            return;
        }
        if (!$holds) {
            throw new \AssertionError($message);
        }
    }
}
