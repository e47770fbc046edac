<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Wire\PlainText;
use PHPUnit\Framework\TestCase;

final class PlainTextTest extends TestCase
{
    /**
     * @return iterable<string, array{string, bool, bool}>
     */
    public static function texts(): iterable
    {
        // text, has a control character, has one or a space
        yield 'empty' => ['', false, false];
        yield 'a task name' => ['tasks.add', false, false];
        yield 'a space' => ['billing worker', false, true];
        yield 'UTF-8 beyond ASCII' => ['tâches.ajouter', false, false];
        yield 'UTF-8 and a space' => ['tâche ajouter', false, true];
        yield 'a tab' => ["tasks\tadd", true, true];
        yield 'a newline after UTF-8' => ["tâche\n", true, true];
        yield 'NUL' => ["a\x00b", true, true];
        yield 'DEL' => ["a\x7fb", true, true];
        yield 'a C1 byte is no ASCII control' => ["a\xc2\x85b", false, false];
    }

    /**
     * @dataProvider texts
     */
    public function testControlCharactersAreFoundWhereverTheyAre(string $text, bool $control, bool $controlOrSpace): void
    {
        self::assertSame($control, PlainText::hasControl($text));
        self::assertSame($controlOrSpace, PlainText::hasControl($text, orSpace: true));
    }
}
