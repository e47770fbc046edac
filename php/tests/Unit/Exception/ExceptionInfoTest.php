<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Exception;

use CeleryBridge\Exception\ExceptionInfo;
use PHPUnit\Framework\TestCase;

final class ExceptionInfoTest extends TestCase
{
    /**
     * @return iterable<string, array{list<mixed>, string}>
     */
    public static function messages(): iterable
    {
        yield 'no args' => [[], ''];
        yield 'one string' => [['boom'], 'boom'];
        yield 'one int' => [[5], '5'];
        yield 'one list' => [[[1, 'a', null, true, 1.0]], "[1, 'a', None, True, 1.0]"];
        yield 'one mapping' => [[['k' => 'v']], "{'k': 'v'}"];
        yield 'several' => [['a', 2], "('a', 2)"];
        yield 'quotes escaped' => [["it's", 'x'], "('it\\'s', 'x')"];
    }

    /**
     * @dataProvider messages
     * @param list<mixed> $args
     */
    public function testMessageIsWhatPythonStrShows(array $args, string $message): void
    {
        self::assertSame($message, (new ExceptionInfo('Exception', 'builtins', $args))->message());
    }

    public function testCelery4StoredTheMessageAsText(): void
    {
        $info = ExceptionInfo::fromStored(['exc_type' => 'ValueError', 'exc_message' => 'old style'], null);

        self::assertSame(['old style'], $info->args);
        self::assertNull($info->module);
        self::assertSame('ValueError: old style', (string) $info);
    }

    public function testQualifiedType(): void
    {
        self::assertSame('ValueError', (new ExceptionInfo('ValueError', 'builtins', []))->qualifiedType());
        self::assertSame('app.errors.Outer.Inner', (new ExceptionInfo('Outer.Inner', 'app.errors', []))->qualifiedType());
        self::assertSame('app.errors.Bad', (string) new ExceptionInfo('Bad', 'app.errors', []));
    }

    public function testRejectsADescriptionWithoutType(): void
    {
        $this->expectException(\UnexpectedValueException::class);

        ExceptionInfo::fromStored(['exc_message' => ['x']], null);
    }
}
