<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Cli;

use CeleryBridge\Cli\JsonArgument;
use CeleryBridge\Cli\UsageError;
use CeleryBridge\Wire\BigInteger;
use CeleryBridge\Wire\KombuJson;
use PHPUnit\Framework\TestCase;

final class JsonArgumentTest extends TestCase
{
    /**
     * @return iterable<string, array{string}>
     */
    public static function texts(): iterable
    {
        yield 'objects with numeric and empty keys' => ['[{"0":"a"},{},{"":{"1":[]}},[]]'];
        yield 'big integers' => ['[12345678901234567890,-98765432109876543210987,9223372036854775807,-9223372036854775808]'];
        yield 'integers beyond PHP next to floats and strings' => [
            '{"n":18446744073709551616,"f":1.5,"e":1.0e+25,"s":"12345678901234567890"}',
        ];
        yield 'digits inside strings stay strings' => ['["x 99999999999999999999 \\" 99999999999999999999",{"k\\\\":1}]'];
    }

    /**
     * @dataProvider texts
     */
    public function testTheWorkerGetsTheTextAsTyped(string $json): void
    {
        $value = JsonArgument::decode('args', $json);

        self::assertSame($json, KombuJson::encode(KombuJson::normalize($value)));
    }

    public function testBigIntegersBecomeBigIntegerValues(): void
    {
        $value = JsonArgument::decode('args', '[12345678901234567890, 12]');

        self::assertIsArray($value);
        self::assertInstanceOf(BigInteger::class, $value[0]);
        self::assertSame('12345678901234567890', $value[0]->digits);
        self::assertSame(12, $value[1]);
    }

    public function testTextThatIsNotJsonIsAUsageError(): void
    {
        $this->expectException(UsageError::class);
        $this->expectExceptionMessage('--kwargs is not valid JSON');

        JsonArgument::decode('kwargs', '{"a": }');
    }
}
