<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit;

use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Exception\InvalidOption;
use PHPUnit\Framework\TestCase;

/**
 * sendMany() validates every element before the first write, so these need no server: the
 * broker's port is closed, and a validation error is thrown before it is ever dialled.
 */
final class PublisherTest extends TestCase
{
    private static function client(): CeleryClient
    {
        return new CeleryClient('redis://127.0.0.1:1/0');
    }

    public function testAChordWithoutBackendNamesItsElement(): void
    {
        try {
            self::client()->sendMany([
                new Signature('tasks.add', [1, 2]),
                new Chord(new Group(new Signature('tasks.add', [1, 1])), new Signature('tasks.xsum')),
            ]);
            self::fail('a chord without backend was accepted');
        } catch (InvalidCanvas $e) {
            self::assertStringStartsWith('sendMany() element [1]: ', $e->getMessage());
            self::assertInstanceOf(InvalidCanvas::class, $e->getPrevious());
        }
    }

    public function testAnElementThatIsNoCanvasAndStringKeysAreNamed(): void
    {
        try {
            self::client()->sendMany(['first' => new Signature('tasks.add'), 'second' => 'tasks.add']);
            self::fail('a string was accepted');
        } catch (InvalidCanvas $e) {
            self::assertStringStartsWith("sendMany() element ['second'] (position 1): sendMany() takes canvases", $e->getMessage());
        }
    }

    public function testAnElementsOwnBadOptionIsNamedButTheCallsOptionsAreSaidOnce(): void
    {
        try {
            $ok = new Signature('tasks.add', options: ['priority' => 3]);
            $eta = new Signature('tasks.add', options: ['eta' => '2030-01-01T00:00:00Z']);
            // The call's countdown meets the element's eta: refused for that element.
            self::client()->sendMany([$ok, $ok, $ok, $eta], ['countdown' => 5]);
            self::fail('countdown with eta was accepted');
        } catch (InvalidOption $e) {
            self::assertStringStartsWith('sendMany() element [3]: Task option "countdown"', $e->getMessage());
        }
        try {
            self::client()->sendMany([new Signature('tasks.add')], ['priorty' => 3]);
            self::fail('an unknown option was accepted');
        } catch (InvalidOption $e) {
            self::assertStringStartsWith('Unknown task option "priorty". Did you mean "priority"?', $e->getMessage());
        }
    }
}
