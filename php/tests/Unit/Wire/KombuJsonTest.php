<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Wire;

use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Tests\Unit\Message\Fixtures\Letter;
use CeleryBridge\Wire\KombuJson;
use CeleryBridge\Wire\PythonTime;
use PHPUnit\Framework\TestCase;

final class KombuJsonTest extends TestCase
{
    public function testEncodesScalarsListsAndMapsAsKombuReadsThem(): void
    {
        $value = KombuJson::normalize([1, 1.0, 'é😀', true, null, [], ['a' => []], (object) []], 'args');

        self::assertSame('[1,1.0,"é😀",true,null,[],{"a":[]},{}]', KombuJson::encode($value));
    }

    public function testDatesBecomeKombuDatetimeMarkersKeepingTheirOffset(): void
    {
        $value = KombuJson::normalize([
            new \DateTimeImmutable('2026-01-02 03:04:05.678901', new \DateTimeZone('Europe/Paris')),
            new \DateTime('2026-01-02 03:04:05', new \DateTimeZone('UTC')),
        ]);

        self::assertSame(
            '[{"__type__":"datetime","__value__":"2026-01-02T03:04:05.678901+01:00"},'
            . '{"__type__":"datetime","__value__":"2026-01-02T03:04:05+00:00"}]',
            KombuJson::encode($value),
        );
    }

    public function testJsonSerializableAndBackedEnumsAreSentAsTheirData(): void
    {
        $object = new class implements \JsonSerializable {
            public function jsonSerialize(): mixed
            {
                return ['id' => 7];
            }
        };

        self::assertSame('[{"id":7},"b"]', KombuJson::encode(KombuJson::normalize([$object, Letter::B])));
    }

    public function testKnownKombuMarkersPassUnknownOnesAreRefused(): void
    {
        $known = ['__type__' => 'decimal', '__value__' => '1.50'];
        self::assertSame('{"__type__":"decimal","__value__":"1.50"}', KombuJson::encode(KombuJson::normalize($known)));

        $this->expectException(InvalidTaskArgument::class);
        $this->expectExceptionMessageMatches('/args\[0\] has exactly the keys __type__ and __value__.*"money"/');
        KombuJson::normalize([['__type__' => 'money', '__value__' => 5]], 'args');
    }

    /**
     * @return iterable<string, array{mixed, string}>
     */
    public static function unsendable(): iterable
    {
        yield 'invalid UTF-8' => [['ok', "\xC3\x28"], '/args\[1\] is not valid UTF-8/'];
        yield 'invalid UTF-8 key' => [['k' => ["\xFF" => 1]], '/args\[\'k\'\] has a key that is not valid UTF-8/'];
        yield 'NAN' => [[NAN], '/args\[0\] is NAN/'];
        yield 'INF' => [[['x' => INF]], '/args\[0\]\[\'x\'\] is INF/'];
        yield 'negative INF' => [[-INF], '/args\[0\] is -INF/'];
        yield 'closure' => [[static fn () => 1], '/args\[0\] is a closure/'];
        yield 'plain object' => [[new \ArrayObject()], '/args\[0\] is an object of class ArrayObject/'];
        yield 'too deep' => [self::nested(150), '/nested deeper than 100 levels/'];
    }

    /**
     * @dataProvider unsendable
     */
    public function testRefusesWhatAWorkerCouldNotDecode(mixed $value, string $message): void
    {
        try {
            KombuJson::normalize($value, 'args');
            self::fail('No exception for an unsendable value.');
        } catch (InvalidTaskArgument $e) {
            self::assertInstanceOf(CeleryBridgeException::class, $e);
            self::assertMatchesRegularExpression($message, $e->getMessage());
        }
    }

    public function testRefusesResources(): void
    {
        $handle = fopen('php://memory', 'r');
        $this->expectException(InvalidTaskArgument::class);
        $this->expectExceptionMessageMatches('/args\[0\] is a resource \(stream\)/');
        KombuJson::normalize([$handle], 'args');
    }

    public function testRefusesObjectsThatContainThemselves(): void
    {
        $node = new \stdClass();
        $node->self = $node;

        $this->expectException(InvalidTaskArgument::class);
        $this->expectExceptionMessageMatches('/args\[0\]\[\'self\'\] refers to itself/');
        KombuJson::normalize([$node], 'args');
    }

    public function testIsoformatOmitsZeroMicrosecondsLikePython(): void
    {
        $zone = new \DateTimeZone('UTC');
        self::assertSame('2026-11-24T10:00:00+00:00', PythonTime::isoformat(new \DateTimeImmutable('2026-11-24 10:00:00', $zone)));
        $micro = new \DateTimeImmutable('2026-11-24 10:00:00.000001', $zone);
        self::assertSame('2026-11-24T10:00:00.000001+00:00', PythonTime::isoformat($micro));
    }

    /**
     * @return list<mixed>
     */
    private static function nested(int $depth): array
    {
        $value = [1];
        for ($i = 0; $i < $depth; $i++) {
            $value = [$value];
        }
        return $value;
    }
}
