<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Backend;

use CeleryBridge\Backend\ResultDecoder;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Result\ResultMeta;
use PHPUnit\Framework\TestCase;

/**
 * The payloads come from fixtures/results.json: bytes Celery 5.7's own Redis backend encoded
 * (tests/test_results_fixtures.py regenerates and checks them).
 */
final class ResultDecoderTest extends TestCase
{
    private const TASK_ID = 'd6c5e3f4-1b2a-4c3d-9e8f-0a1b2c3d4e5f';
    /** A SUCCESS meta around the JSON that follows, then "}". */
    private const OK = '{"status": "SUCCESS", "result": ';

    /** @var array<string, string>|null */
    private static ?array $fixtures = null;

    private static function fixture(string $name): string
    {
        self::$fixtures ??= json_decode(
            (string) file_get_contents(__DIR__ . '/fixtures/results.json'),
            true,
            512,
            JSON_THROW_ON_ERROR,
        );
        return base64_decode(self::$fixtures[$name], true);
    }

    private static function decode(string $payload, string $taskId = self::TASK_ID): ResultMeta
    {
        return (new ResultDecoder())->decode($payload, $taskId);
    }

    /**
     * @param array<string, mixed> $meta
     */
    private static function json(array $meta): string
    {
        return json_encode($meta + ['status' => 'SUCCESS'], JSON_THROW_ON_ERROR);
    }

    public function testSuccessMetaFields(): void
    {
        $meta = self::decode(self::fixture('success_int'));

        self::assertSame(self::TASK_ID, $meta->taskId);
        self::assertSame('SUCCESS', $meta->status);
        self::assertSame(5, $meta->result);
        self::assertNull($meta->traceback);
        self::assertNull($meta->children);
        self::assertSame('2030-01-02T03:04:05.678901+00:00', $meta->dateDone?->format('Y-m-d\TH:i:s.uP'));
        self::assertTrue($meta->isReady());
        self::assertNull($meta->exception());
    }

    public function testLoneSurrogatesPythonWritesBecomeReplacementCharacters(): void
    {
        // json.dumps(['\udcff', '\ud83d\ude00', '\\ud800', 'x\ud800\ud800']) in Python, plus NaN.
        $payload = '{"status": "SUCCESS", "result": ["\\udcff", "\\ud83d\\ude00", "\\\\ud800", "x\\ud800\\ud800", NaN]}';

        $result = self::decode($payload)->result;

        self::assertSame(["\u{FFFD}", "\u{1F600}", '\\ud800', "x\u{FFFD}\u{FFFD}"], array_slice($result, 0, 4));
        self::assertNan($result[4]);
    }

    public function testNullResult(): void
    {
        $meta = self::decode(self::fixture('success_null'));

        self::assertSame('SUCCESS', $meta->status);
        self::assertNull($meta->result);
    }

    public function testEveryJsonTypeAndMarkerAsKombuWritesThem(): void
    {
        $value = self::decode(self::fixture('success_samples'))->result;
        self::assertIsArray($value);

        self::assertNull($value['null']);
        self::assertTrue($value['true']);
        self::assertFalse($value['false']);
        self::assertSame(42, $value['int']);
        self::assertSame(-7, $value['int_negative']);
        self::assertSame(PHP_INT_MAX, $value['int64_max']);
        self::assertSame(PHP_INT_MIN, $value['int64_min']);
        self::assertSame('18446744073709551617', $value['bigint']);
        self::assertSame('-1180591620717411303424', $value['bigint_negative']);
        self::assertSame(3.25, $value['float']);
        self::assertSame(2.0, $value['float_whole']);
        self::assertSame(5e-324, $value['float_tiny']);
        self::assertSame(1.5e300, $value['float_huge']);
        self::assertIsFloat($value['nan']);
        self::assertNan($value['nan']);
        self::assertSame(INF, $value['inf']);
        self::assertSame(-INF, $value['-inf']);
        self::assertSame('hello', $value['str']);
        self::assertSame("h\u{e9}llo \u{2603} \u{1F600}", $value['str_unicode']);
        self::assertSame("quote \" backslash \\ newline \n tab \t nul \0", $value['str_escapes']);
        self::assertSame('NaN', $value['str_nan']);
        self::assertSame('-Infinity', $value['str_infinity']);
        self::assertSame([1, 'two', 3.5, null, true], $value['list']);
        self::assertSame([1, 2], $value['tuple']);
        self::assertSame([], $value['empty_list']);
        self::assertSame([], $value['empty_dict']);
        self::assertSame(['a' => 1, 'b' => [true, null], 'c' => ['d' => 'e']], $value['dict']);
        self::assertSame([1 => 'one', 2 => 'two'], $value['int_keys']);
        self::assertSame([[[[[['deep']]]]]], $value['nested']);
        self::assertSame(['__type__' => 'datetime', '__value__' => 'x', 'extra' => 1], $value['marker_lookalike']);

        self::assertDateTime('2030-01-02T03:04:05.678901+00:00', $value['datetime']);
        self::assertDateTime('2030-01-02T03:04:05.000000+05:30', $value['datetime_offset']);
        self::assertDateTime('2030-01-02T03:04:05.000006+00:00', $value['datetime_naive']);
        self::assertDateTime('2030-01-02T00:00:00.000000+00:00', $value['date']);
        self::assertDateTime('1970-01-01T03:04:05.123456+00:00', $value['time']);
        self::assertSame('12345678901234567890.123456789', $value['decimal']);
        self::assertSame('12345678-1234-5678-1234-567812345678', $value['uuid']);
        self::assertSame('hello', $value['bytes']);
        self::assertSame("\x00\xff\xfe\x80", $value['bytes_binary']);
        self::assertDateTime('2030-01-02T00:00:00.000000+00:00', $value['markers_nested']['when'][0]);
        self::assertNan($value['markers_nested']['nan_in_list'][0]);
        self::assertSame(1, $value['markers_nested']['nan_in_list'][1]);
    }

    public function testFailureBecomesExceptionInfo(): void
    {
        $meta = self::decode(self::fixture('failure_value_error'));

        self::assertSame('FAILURE', $meta->status);
        $info = $meta->exception();
        self::assertInstanceOf(ExceptionInfo::class, $info);
        self::assertSame($info, $meta->result);
        self::assertSame('ValueError', $info->type);
        self::assertSame('builtins', $info->module);
        self::assertSame(['boom'], $info->args);
        self::assertSame('boom', $info->message());
        self::assertSame('ValueError: boom', (string) $info);
        self::assertStringEndsWith("ValueError: boom\n", (string) $info->traceback);
        self::assertSame($meta->traceback, $info->traceback);
    }

    public function testCustomExceptionKeepsItsModule(): void
    {
        $info = self::decode(self::fixture('failure_custom'))->exception();

        self::assertNotNull($info);
        self::assertSame('PaymentDeclined', $info->type);
        self::assertSame('python_worker.errors', $info->module);
        self::assertSame('python_worker.errors.PaymentDeclined', $info->qualifiedType());
        self::assertSame('no money', $info->message());
    }

    public function testMessagesFollowPythonStr(): void
    {
        $key = self::decode(self::fixture('failure_key_error'))->exception();
        $many = self::decode(self::fixture('failure_many_args'))->exception();
        $unknown = self::decode(self::fixture('failure_not_registered'))->exception();

        self::assertSame("'k'", $key?->message());
        self::assertSame(['a', 2, null], $many?->args);
        self::assertSame("('a', 2, None)", $many?->message());
        self::assertSame('NotRegistered', $unknown?->type);
        self::assertSame('celery.exceptions', $unknown?->module);
        self::assertSame(['tasks.nope'], $unknown?->args);
    }

    public function testRevokedAndRetryCarryExceptions(): void
    {
        $revoked = self::decode(self::fixture('revoked_expired'));
        $retry = self::decode(self::fixture('retry'));

        self::assertSame('REVOKED', $revoked->status);
        self::assertTrue($revoked->isReady());
        self::assertSame('TaskRevokedError', $revoked->exception()?->type);
        self::assertSame('expired', $revoked->exception()?->message());
        self::assertSame('RETRY', $retry->status);
        self::assertFalse($retry->isReady());
        self::assertNull($retry->dateDone);
        self::assertSame('LookupError', $retry->exception()?->type);
        self::assertSame('Traceback (retry)', $retry->traceback);
    }

    public function testStartedAndCustomStates(): void
    {
        $started = self::decode(self::fixture('started'));
        $custom = self::decode(self::fixture('custom_state'));

        self::assertSame('STARTED', $started->status);
        self::assertSame(['pid' => 4242, 'hostname' => 'celery@host'], $started->result);
        self::assertFalse($started->isReady());
        self::assertSame('PROGRESS', $custom->status);
        self::assertSame(['done' => 3], $custom->result);
        self::assertFalse($custom->isReady());
    }

    public function testResultExtendedFields(): void
    {
        $meta = self::decode(self::fixture('extended'));

        self::assertSame('tasks.add', $meta->name);
        self::assertSame([2, 3], $meta->args);
        self::assertSame(['z' => 1], $meta->kwargs);
        self::assertSame('celery@host', $meta->worker);
        self::assertSame(2, $meta->retries);
        self::assertSame('math', $meta->queue);
        self::assertSame('group-1', $meta->groupId);
        self::assertSame('parent-1', $meta->parentId);
        self::assertSame([], $meta->extra);
    }

    public function testResultCompressionWritten57(): void
    {
        $zlib = self::fixture('compressed_zlib');
        self::assertStringStartsWith("\x00celery-compressed\x00application/x-gzip\x00", $zlib);

        $value = self::decode($zlib)->result;
        self::assertSame('12345678901234567890.123456789', $value['decimal']);
        self::assertSame('18446744073709551617', $value['bigint']);
        self::assertSame(['big' => str_repeat('x', 1000)], self::decode(self::fixture('compressed_bzip2'))->result);
    }

    public function testCompressionPhpCannotUndoIsNamed(): void
    {
        $this->expectException(CorruptResult::class);
        $this->expectExceptionMessageMatches('/application\/x-lzma.*result_compression/');

        self::decode(self::fixture('compressed_lzma'));
    }

    public function testKombuAliasesInTheCompressionHeader(): void
    {
        $payload = ResultDecoder::COMPRESSED_MAGIC . "zlib\x00" . gzcompress(self::json(['result' => 1]));

        self::assertSame(1, self::decode($payload)->result);
    }

    public function testUnknownExtraFieldsAreKept(): void
    {
        $meta = self::decode(self::json(['result' => 1, 'stamped_headers' => ['s'], 's' => 'v']));

        self::assertSame(['stamped_headers' => ['s'], 's' => 'v'], $meta->extra);
    }

    public function testNonFiniteTokensOnlyOutsideStrings(): void
    {
        $text = '{"status": "SUCCESS", "result": [NaN, "NaN", -Infinity, "x\"Infinity", {"Infinity": Infinity}]}';
        $value = self::decode($text)->result;

        self::assertNan($value[0]);
        self::assertSame('NaN', $value[1]);
        self::assertSame(-INF, $value[2]);
        self::assertSame('x"Infinity', $value[3]);
        self::assertSame(['Infinity' => INF], $value[4]);
    }

    public function testMarkerWithEscapedKeysIsStillAMarker(): void
    {
        $text = '{"status": "SUCCESS", "result": {"\u005f_type__": "decimal", "__value__": "1.50"}}';

        self::assertSame('1.50', self::decode($text)->result);
    }

    /**
     * @return iterable<string, array{string, string, string}>
     */
    public static function markers(): iterable
    {
        yield 'datetime, Z' => ['datetime', '2030-01-02T03:04:05Z', '2030-01-02T03:04:05.000000+00:00'];
        yield 'datetime, compact offset' => ['datetime', '2030-01-02 03:04+0100', '2030-01-02T03:04:00.000000+01:00'];
        yield 'datetime, long fraction' => ['datetime', '2030-01-02T03:04:05.1234567', '2030-01-02T03:04:05.123456+00:00'];
        yield 'date from a datetime' => ['date', '2030-01-02T23:00:00-05:00', '2030-01-02T00:00:00.000000+00:00'];
        yield 'time with offset' => ['time', '03:04:05.5+02:00', '1970-01-01T03:04:05.500000+02:00'];
        yield 'time, hours only' => ['time', '03', '1970-01-01T03:00:00.000000+00:00'];
    }

    /**
     * @dataProvider markers
     */
    public function testDateMarkers(string $type, string $value, string $expected): void
    {
        $marker = json_encode(['__type__' => $type, '__value__' => $value], JSON_THROW_ON_ERROR);
        self::assertDateTime($expected, self::decode(self::OK . $marker . '}')->result);
    }

    public function testOtherMarkers(): void
    {
        $value = self::decode('{"status": "SUCCESS", "result": ['
            . '{"__type__": "uuid", "__value__": {"hex": "{12345678-1234-5678-1234-56781234567A}"}},'
            . '{"__type__": "decimal", "__value__": "-1_000.5e-3"},'
            . '{"__type__": "decimal", "__value__": "sNaN"},'
            . '{"__type__": "base64", "__value__": "aGVs\nbG8="},'
            . '{"__type__": "bytes", "__value__": "caf\u00e9"}'
            . ']}')->result;

        self::assertSame(['12345678-1234-5678-1234-56781234567a', '-1000.5e-3', 'sNaN', 'hello', "caf\u{e9}"], $value);
    }

    /**
     * @return iterable<string, array{string, string}>
     */
    public static function corrupt(): iterable
    {
        yield 'empty' => ['', 'not JSON'];
        yield 'pickle' => ["\x80\x04\x95", 'not JSON'];
        yield 'truncated JSON' => ['{"status": "SUCCESS", "result": [1, 2', 'not valid JSON'];
        yield 'a list' => ['[1, 2]', 'not a JSON object'];
        yield 'a string' => ['"SUCCESS"', 'not a JSON object'];
        yield 'no status' => ['{"result": 1}', '"status"'];
        yield 'status not a string' => ['{"status": 1}', '"status"'];
        yield 'unknown marker' => [self::OK . '{"__type__": "set", "__value__": [1]}}', 'unknown type "set"'];
        yield 'marker of wrong shape' => [self::OK . '{"__type__": "datetime", "__value__": 5}}', 'instead of a string'];
        yield 'bad datetime' => [self::OK . '{"__type__": "datetime", "__value__": "2030-02-30T00:00:00"}}', 'not a valid date'];
        yield 'hour 24' => [self::OK . '{"__type__": "time", "__value__": "24:00"}}', 'not a valid date'];
        yield 'bad offset' => [self::OK . '{"__type__": "datetime", "__value__": "2030-01-01T00:00+25:00"}}', 'offset'];
        yield 'bad uuid' => [self::OK . '{"__type__": "uuid", "__value__": {"hex": "xyz"}}}', 'not a UUID'];
        yield 'bad decimal' => [self::OK . '{"__type__": "decimal", "__value__": "1.2.3"}}', 'not a decimal'];
        yield 'bad base64' => [self::OK . '{"__type__": "base64", "__value__": "a"}}', 'not base64'];
        yield 'children not a list' => ['{"status": "SUCCESS", "children": {"a": 1}}', '"children"'];
        yield 'children of strings' => ['{"status": "SUCCESS", "children": ["x"]}', 'not a result tuple'];
        yield 'child without id' => ['{"status": "SUCCESS", "children": [[[5, null], null]]}', 'not a result tuple'];
        yield 'group child not a list' => ['{"status": "SUCCESS", "children": [[["g", null], "x"]]}', 'not a list'];
        yield 'date_done not a date' => ['{"status": "SUCCESS", "date_done": "yesterday"}', 'not an ISO 8601 datetime'];
        yield 'retries not an int' => ['{"status": "SUCCESS", "retries": "2"}', '"retries"'];
        yield 'traceback not a string' => ['{"status": "FAILURE", "result": {"exc_type": "E"}, "traceback": []}', '"traceback"'];
        yield 'another task' => ['{"status": "SUCCESS", "task_id": "other"}', 'belongs to task "other"'];
        yield 'too deep' => [self::OK . '' . str_repeat('[', 2000) . str_repeat(']', 2000) . '}', 'not valid JSON'];
        yield 'bad compression body' => [ResultDecoder::COMPRESSED_MAGIC . "application/x-gzip\x00garbage", 'does not decompress'];
        yield 'compression without type' => [ResultDecoder::COMPRESSED_MAGIC . 'application/x-gzip', 'content type'];
        yield 'unknown compression' => [ResultDecoder::COMPRESSED_MAGIC . "application/x-rar\x00x", 'not a compression kombu knows'];
    }

    /**
     * @dataProvider corrupt
     */
    public function testCorruptMetaGivesAClearException(string $payload, string $fragment): void
    {
        try {
            self::decode($payload);
            self::fail('No exception for ' . json_encode($payload, JSON_INVALID_UTF8_SUBSTITUTE));
        } catch (CorruptResult $e) {
            self::assertStringContainsString('task "' . self::TASK_ID . '"', $e->getMessage());
            self::assertStringContainsString($fragment, $e->getMessage());
        }
    }

    /**
     * Celery writes these itself, so they are read as stored and never refused.
     *
     * @return iterable<string, array{string, string, mixed}>
     */
    public static function exceptionStatesWithoutException(): iterable
    {
        // self.retry() without exc=: mark_as_retry(id, None, ...)
        yield 'retry without exc' => ['{"status": "RETRY", "result": null, "traceback": null}', 'RETRY', null];
        // update_state(state=FAILURE, meta={...}) followed by raise Ignore()
        yield 'failure with custom meta' => ['{"status": "FAILURE", "result": {"progress": 3}}', 'FAILURE', ['progress' => 3]];
        yield 'failure with a string' => ['{"status": "FAILURE", "result": "oops"}', 'FAILURE', 'oops'];
        yield 'failure without exc_type' => ['{"status": "FAILURE", "result": {"exc_message": []}}', 'FAILURE', ['exc_message' => []]];
        yield 'revoked without info' => ['{"status": "REVOKED", "result": null}', 'REVOKED', null];
    }

    /**
     * @dataProvider exceptionStatesWithoutException
     */
    public function testExceptionStatesWithoutAnExceptionAreReadAsStored(string $payload, string $state, mixed $result): void
    {
        $meta = self::decode($payload);

        self::assertSame($state, $meta->status);
        self::assertSame($result, $meta->result);
        self::assertNull($meta->exception());
    }

    public function testChildrenAsCeleryWritesThem(): void
    {
        // A chain step's tuple carries its parent's whole tuple; a group's carries its members.
        $children = [[['c1', null], null], [['g1', null], [[['m1', null], null], [['m2', [['c1', null], null]], null]]]];
        $meta = self::decode(self::json(['result' => 1, 'children' => $children]));

        self::assertSame($children, $meta->children);
    }

    public function testLargeStringsWithManyEscapesAreScannedWithoutPcreLimits(): void
    {
        $big = str_repeat('a\\"b', 500000);
        $text = '{"status": "SUCCESS", "result": ["' . $big . '", NaN]}';

        $value = self::decode($text)->result;

        self::assertSame(str_repeat('a"b', 500000), $value[0]);
        self::assertNan($value[1]);
    }

    public function testNanInsideLongEscapedTextIsNotATokenAndNeedsNoBacktracking(): void
    {
        // Text such as a CSV export: the words NaN and Infinity, quotes and backslashes everywhere.
        $csv = str_repeat("id,\"value \\\"NaN\\\"\",Infinity\\\\,\n", 200000);
        $text = '{"status": "SUCCESS", "result": {"csv": ' . json_encode($csv) . ', "n": -Infinity, "x": "\\\\"}}';

        $value = self::decode($text)->result;

        self::assertSame($csv, $value['csv']);
        self::assertSame(-INF, $value['n']);
        self::assertSame('\\', $value['x']);
    }

    public function testResultLargerThanTheLimitIsRefusedBeforeDecoding(): void
    {
        $payload = self::json(['result' => str_repeat('x', 2000)]);

        $this->expectException(ResultTooLarge::class);
        $this->expectExceptionMessageMatches('/result_max_size \\(1000 bytes\\)/');
        (new ResultDecoder(1000))->decode($payload, self::TASK_ID);
    }

    public function testNoLimitReadsAnySize(): void
    {
        $payload = self::json(['result' => str_repeat('x', 2000)]);

        self::assertSame(2000, strlen((new ResultDecoder(null))->decode($payload, self::TASK_ID)->result));
    }

    /**
     * @return iterable<string, array{string}>
     */
    public static function bombs(): iterable
    {
        yield 'zlib' => ['application/x-gzip'];
        yield 'bzip2' => ['application/x-bz2'];
    }

    /**
     * @dataProvider bombs
     */
    public function testDecompressionStopsAtTheLimit(string $contentType): void
    {
        $json = '{"status": "SUCCESS", "result": "' . str_repeat('0', 50 << 20) . '"}';
        $body = $contentType === 'application/x-gzip' ? gzcompress($json, 9) : bzcompress($json, 9);
        unset($json);
        $payload = ResultDecoder::COMPRESSED_MAGIC . $contentType . "\x00" . $body;
        $before = memory_get_usage();
        memory_reset_peak_usage();
        try {
            (new ResultDecoder(4 << 20))->decode($payload, self::TASK_ID);
            self::fail('A 50 MB result inflated past a 4 MB limit.');
        } catch (ResultTooLarge $e) {
            self::assertStringContainsString('decompresses to more than result_max_size', $e->getMessage());
        }
        // It stopped near the limit: one inflate step past 4 MB, not 50 MB.
        self::assertLessThan(24 << 20, memory_get_peak_usage() - $before);
    }

    public function testCompressedWithinTheLimitIsRead(): void
    {
        $json = self::json(['result' => str_repeat('ab', 100000)]);

        foreach (["application/x-gzip\x00" . gzcompress($json), "application/x-bz2\x00" . bzcompress($json)] as $body) {
            $meta = (new ResultDecoder(300000))->decode(ResultDecoder::COMPRESSED_MAGIC . $body, self::TASK_ID);
            self::assertSame(200000, strlen($meta->result));
        }
    }

    public function testTruncatedCompressedBodyIsCorrupt(): void
    {
        $this->expectException(CorruptResult::class);
        $this->expectExceptionMessage('does not decompress');

        self::decode(ResultDecoder::COMPRESSED_MAGIC . "application/x-gzip\x00" . substr(gzcompress(self::json(['result' => 1])), 0, 10));
    }

    public function testMutatedPayloadsNeverWarnOrEscapeAsAnotherError(): void
    {
        mt_srand(20301);
        $seeds = array_map(self::fixture(...), ['success_samples', 'failure_value_error', 'extended', 'compressed_zlib']);
        $warnings = [];
        set_error_handler(static function (int $no, string $message) use (&$warnings): bool {
            $warnings[] = $message;
            return true;
        });
        $decoded = $refused = 0;
        try {
            for ($i = 0; $i < 3000; $i++) {
                $payload = $seeds[$i % count($seeds)];
                for ($edits = mt_rand(1, 3); $edits > 0; $edits--) {
                    $at = mt_rand(0, max(0, strlen($payload) - 1));
                    $payload = match (mt_rand(0, 3)) {
                        0 => substr_replace($payload, chr(mt_rand(0, 255)), $at, 1),
                        1 => substr($payload, 0, $at),
                        2 => substr_replace($payload, substr('{}[]",:NaN-Infinity\\u0000__type__', mt_rand(0, 30), 4), $at, 0),
                        default => substr_replace($payload, '', $at, mt_rand(1, 8)),
                    };
                }
                try {
                    self::decode($payload);
                    $decoded++;
                } catch (CorruptResult) {
                    $refused++;
                }
            }
        } finally {
            restore_error_handler();
        }

        self::assertSame([], $warnings);
        self::assertSame(3000, $decoded + $refused);
        self::assertGreaterThan(0, $refused);
    }

    private static function assertDateTime(string $expected, mixed $actual): void
    {
        self::assertInstanceOf(\DateTimeImmutable::class, $actual);
        self::assertSame($expected, $actual->format('Y-m-d\TH:i:s.uP'));
    }
}
