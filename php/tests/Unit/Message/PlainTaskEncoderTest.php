<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message;

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\PlainTaskEncoder;
use CeleryBridge\Message\ProtocolTwo;
use CeleryBridge\Tests\Unit\Message\Fixtures\RandomPlainCall;
use CeleryBridge\Wire\BodyEncoder;
use CeleryBridge\Wire\Envelope;
use CeleryBridge\Wire\KombuJson;
use PHPUnit\Framework\TestCase;

/**
 * The template path must write exactly MessageBuilder's bytes, and hand everything else back.
 */
final class PlainTaskEncoderTest extends TestCase
{
    private const ID = '0b7e3f3c-52ac-4a6f-9d3b-1f0c2a9d8e71';
    private const TAG = 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b';

    private static function builder(string $serializer = 'json', ?string $compression = null): MessageBuilder
    {
        return new MessageBuilder(
            origin: 'gen42@host/é',
            replyTo: '4a6f9d3b-1f0c-4a9d-8e71-0b7e3f3c52ac',
            encoder: new BodyEncoder($serializer, $compression),
        );
    }

    private static function encoder(): PlainTaskEncoder
    {
        $encoder = PlainTaskEncoder::forClient('gen42@host/é', '4a6f9d3b-1f0c-4a9d-8e71-0b7e3f3c52ac', 2, 'json', null);
        self::assertNotNull($encoder);
        return $encoder;
    }

    /**
     * The envelope of a call, or null: the template's parts for its name and delivery, filled
     * in (null when they do not fit it), as PlainPath does.
     *
     * @param array<array-key, mixed> $args
     * @param array<array-key, mixed> $kwargs
     */
    private static function envelope(string $task, array $args, array $kwargs, Delivery $delivery): ?string
    {
        $encoder = self::encoder();
        $parts = $encoder->partsFor($task, $delivery);
        return $parts === null ? null : $encoder->envelope($parts, self::ID, $args, $kwargs, self::TAG);
    }

    /**
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     */
    private static function assertSameAsBuilder(string $task, array $args, array $kwargs, Delivery $delivery): void
    {
        $builder = self::builder();
        $expected = $builder->build(
            new Signature($task, $args, $kwargs),
            self::ID,
            $delivery,
            new \DateTimeImmutable(),
            self::TAG,
        )->toEnvelope();

        $got = self::envelope($task, $args, $kwargs, $delivery);

        self::assertSame($expected, $got);
    }

    /**
     * @return iterable<string, array{list<mixed>, array<string, mixed>}>
     */
    public static function plainCalls(): iterable
    {
        yield 'no arguments' => [[], []];
        yield 'two ints' => [[1, 2], []];
        yield 'kwargs only' => [[], ['x' => 1, 'y' => 'two']];
        yield 'scalars' => [[true, false, null, -7, PHP_INT_MAX, PHP_INT_MIN, ''], ['none' => null]];
        yield 'floats (full repr)' => [[1.0, -0.0, 2.5, 1e100, 5e-324, 0.1], ['f' => 3.0]];
        yield 'quotes, escapes, unicode' => [["it's", 'say "hi"', "a\\b", "tab\tnew\nline", 'é😀中文', "\u{7f}"], []];
        yield 'slashes and html' => [['a/b', '</script>', '&<>'], ['url' => 'https://x/y?z=1']];
        yield 'nested' => [[[1, [2, [3, [4, [5]]]]], ['a' => ['b' => ['c' => 1]]]], ['m' => ['k' => []], 'l' => [[]]]];
        yield 'long string' => [[str_repeat('x', 3000)], []];
        yield 'many items' => [range(1, 600), []];
        yield 'every printable ASCII character' => [
            [implode('', array_map('chr', range(32, 126))), ...array_map('chr', range(32, 126))],
            ['printable' => implode('', array_map('chr', range(32, 126)))],
        ];
        yield 'control, DEL and Latin-1 bytes as UTF-8' => [["a\x01b", "x\x7f", "caf\u{e9}", "\u{a0}"], ['k' => "\u{ff}"]];
        yield 'ints only' => [[PHP_INT_MIN, -1, 0, PHP_INT_MAX], []];
        yield 'ints, repr just under saferepr\'s cut' => [range(1000000, 1000110), []];
        yield 'ints, repr just over it' => [range(1000000, 1000111), []];
        yield 'the most ints the int path takes, each at its longest' => [array_fill(0, 32, PHP_INT_MIN), []];
        yield 'one int more' => [array_fill(0, 33, PHP_INT_MIN), []];
        yield 'ints whose repr saferepr cuts' => [array_fill(0, 50, PHP_INT_MIN), []];
        yield 'numeric-string keys in nested maps' => [[[5 => 'five', 7 => 'seven']], ['k' => ['1' => 'a', 'b' => 2]]];
        yield 'near-marker maps' => [[['__type__' => 'x', '__value__' => 1, 'extra' => true]], ['m' => ['__type__' => 'x']]];
        yield 'key with quote' => [[], ["it's" => 1, 'plain' => "v'al"]];
    }

    /**
     * @dataProvider plainCalls
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     */
    public function testSameBytesAsMessageBuilder(array $args, array $kwargs): void
    {
        self::assertSameAsBuilder('tasks.add', $args, $kwargs, new Delivery('celery'));
        self::assertSameAsBuilder('proj.tâches/ünïcode', $args, $kwargs, new Delivery('q/ü "x"', 7));
    }

    public function testRandomPlainDataGivesTheSameBytes(): void
    {
        mt_srand(20261126);
        $calls = new RandomPlainCall();
        for ($i = 0; $i < 300; $i++) {
            [$args, $kwargs] = $calls->next();
            self::assertSameAsBuilder('tasks.t' . $i, $args, $kwargs, new Delivery('q' . ($i % 3), $i % 10));
        }
    }

    /**
     * @return iterable<string, array{mixed, mixed}>
     */
    public static function generalCalls(): iterable
    {
        yield 'a date' => [[new \DateTimeImmutable()], []];
        yield 'an object' => [[new \stdClass()], []];
        yield 'a marker-shaped map' => [[['__type__' => 'decimal', '__value__' => '1.5']], []];
        yield 'marker-shaped kwargs' => [[], ['__type__' => 'decimal', '__value__' => '1.5']];
        yield 'NAN' => [[NAN], []];
        yield 'invalid UTF-8' => [["\xff"], []];
        yield 'invalid UTF-8 key' => [[["\xff" => 1]], []];
        yield 'args not a list' => [[1 => 'a'], []];
        yield 'an integer kwargs key' => [[], [5 => 'x']];
        yield 'an empty kwargs key' => [[], ['' => 'x']];
        yield 'a closure' => [[static fn () => 1], []];
    }

    /**
     * @dataProvider generalCalls
     * @param array<array-key, mixed> $args
     * @param array<array-key, mixed> $kwargs
     */
    public function testEverythingElseTakesTheGeneralPath(array $args, array $kwargs): void
    {
        self::assertNull(self::envelope('tasks.add', $args, $kwargs, new Delivery('celery')));
    }

    public function testNamedExchangesMsgpackCompressionAndProtocolOneTakeTheGeneralPath(): void
    {
        $exchange = new Delivery('celery', 0, 'media', 'video');
        self::assertNull(self::envelope('t', [1], [], $exchange));
        self::assertNull(PlainTaskEncoder::forClient('o', 'r', 2, 'msgpack', null));
        self::assertNull(PlainTaskEncoder::forClient('o', 'r', 2, 'json', 'zlib'));
        self::assertNull(PlainTaskEncoder::forClient('o', 'r', 1, 'json', null));
    }

    public function testTheTemplateIsMessageBuildersEnvelopeForEveryPriority(): void
    {
        foreach (range(0, 9) as $priority) {
            self::assertSameAsBuilder('tasks.add', [1, 2], ['x' => 'y'], new Delivery('q/"é"\\', $priority));
        }
    }

    /**
     * The template is ProtocolTwo's headers and properties in Envelope's fields: built here from
     * them with a marker in each slot, cut at the markers. When this fails, the message shows
     * the new PlainTaskEncoder::TEMPLATE.
     */
    public function testTheTemplateIsProtocolTwoInEnvelopeFields(): void
    {
        $slot = static fn (string $name): string => "\u{1}" . $name . "\u{1}";
        $headers = ProtocolTwo::plainHeaders($slot('task'), $slot('id'), $slot('argsrepr'), $slot('kwargsrepr'), '%origin%');
        $properties = ProtocolTwo::properties($slot('id'), '%reply_to%', [], null, '', $slot('queue'), 12345, $slot('tag'));
        $json = str_replace(
            '"priority":12345,',
            '"priority":%priority%,',
            KombuJson::encode(Envelope::fields($slot('body'), 'application/json', 'utf-8', $headers, $properties)),
        );
        // JSON writes each marker's control characters as \u0001.
        $parts = preg_split('/\\\\u0001([a-z]+)\\\\u0001/', $json, -1, PREG_SPLIT_DELIM_CAPTURE);
        $text = array_values(array_filter($parts, static fn (int $i): bool => $i % 2 === 0, ARRAY_FILTER_USE_KEY));
        $slots = array_values(array_filter($parts, static fn (int $i): bool => $i % 2 === 1, ARRAY_FILTER_USE_KEY));

        // The order in which envelope() fills the slots.
        self::assertSame(['body', 'task', 'id', 'id', 'argsrepr', 'kwargsrepr', 'id', 'queue', 'tag'], $slots);
        self::assertSame($text, PlainTaskEncoder::TEMPLATE, 'PlainTaskEncoder::TEMPLATE is now ' . var_export($text, true));
    }

    public function testTheTextAroundTheMarkersIsTheTemplates(): void
    {
        self::assertSame(PlainTaskEncoder::TEMPLATE[6], implode('%origin%', PlainTaskEncoder::AROUND_ORIGIN));
        self::assertSame(PlainTaskEncoder::TEMPLATE[7], implode('%reply_to%', PlainTaskEncoder::AROUND_REPLY_TO));
        self::assertSame(PlainTaskEncoder::TEMPLATE[8], implode('%priority%', PlainTaskEncoder::AROUND_PRIORITY));
    }

    public function testANameOrQueueThatIsNotUtf8TakesTheGeneralPath(): void
    {
        foreach ([[1, 2], ['x']] as $args) {
            self::assertNull(self::envelope("tasks.\xff", $args, [], new Delivery('celery')));
            self::assertNull(self::envelope('tasks.add', $args, [], new Delivery("q\xff")));
        }
    }

    public function testTheTailAfterIntArgumentsIsTheBodyTailAfterNoKwargs(): void
    {
        self::assertSame('],{}' . PlainTaskEncoder::BODY_TAIL, PlainTaskEncoder::INT_ARGS_TAIL);
    }

    public function testItsJsonFlagsAreKombuJsons(): void
    {
        self::assertSame(KombuJson::ENCODE_FLAGS, PlainTaskEncoder::ENCODE_FLAGS);
    }
}
