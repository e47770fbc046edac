<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration\Broker;

use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\CeleryClientInterface;

/**
 * Inputs a worker could choke on, each with the text its exception message must contain.
 *
 * Shared by BadInputTest (one PHPUnit case each) and tests/test_bad_input.py (all of them in one
 * php process): every one must throw a CeleryBridgeException and leave Redis untouched.
 */
final class BadInputCases
{
    /**
     * name => [a call given the broker URL, fragments its exception message must contain]
     *
     * @param (\Closure(string, array<string, mixed>): CeleryClientInterface)|null $client makes the client
     *        the calls go through from the URL and the settings (a CeleryClient by default; the
     *        Testing\CeleryFake's tests pass one that makes a fake)
     * @return array<string, array{\Closure(string): mixed, list<string>}>
     */
    public static function all(?\Closure $client = null): array
    {
        $client ??= static fn (string $url, array $config = []): CeleryClientInterface => new CeleryClient($url, config: $config);
        $send = static fn (string $name, array $args = [], array $kwargs = [], array $options = []) =>
            static fn (string $url) => $client($url, [])->sendTask($name, $args, $kwargs, $options);
        $option = static fn (array $options) => $send('tasks.record', [], [], $options);
        $config = static fn (array $config) =>
            static fn (string $url) => $client($url, $config)->sendTask('tasks.record');

        $recursiveObject = new \stdClass();
        $recursiveObject->self = $recursiveObject;
        $recursiveArray = [1];
        $recursiveArray[] = &$recursiveArray;

        return [
            'invalid UTF-8 in args' => [$send('tasks.record', ["ok", "\xff\xfe"]), ['args[1]', 'UTF-8']],
            'invalid UTF-8 nested in args' => [
                $send('tasks.record', [['a' => ["\xc3\x28"]]]),
                ["args[0]['a'][0]", 'UTF-8'],
            ],
            'invalid UTF-8 in a kwargs value' => [$send('tasks.record', [], ['k' => "\x80"]), ["kwargs['k']", 'UTF-8']],
            'invalid UTF-8 in a kwargs key' => [$send('tasks.record', [], ["\xff" => 1]), ['kwargs', 'key', 'UTF-8']],
            'invalid UTF-8 in the task name' => [$send("tasks.\xff"), ['7461736b732eff', 'task name']],
            'invalid UTF-8 in a header' => [$option(['headers' => ['x' => "\xff"]]), ['headers', 'UTF-8']],
            'NAN' => [$send('tasks.record', [1.5, NAN]), ['args[1]', 'NAN']],
            'INF in kwargs' => [$send('tasks.record', [], ['x' => INF]), ["kwargs['x']", 'INF']],
            '-INF nested' => [$send('tasks.record', [[1, -INF]]), ['args[0][1]', '-INF']],
            'a resource' => [$send('tasks.record', [fopen('php://memory', 'r')]), ['args[0]', 'resource']],
            'a closure' => [$send('tasks.record', [], ['f' => static fn () => 1]), ["kwargs['f']", 'closure']],
            'a recursive object' => [$send('tasks.record', [$recursiveObject]), ["args[0]['self']", 'itself']],
            'a recursive array' => [$send('tasks.record', $recursiveArray), ['args[1]', 'nested deeper than 100']],
            'an object that is not data' => [$send('tasks.record', [new \ArrayObject()]), ['args[0]', 'ArrayObject']],
            'an unknown kombu type marker' => [
                $send('tasks.record', [['__type__' => 'pickle', '__value__' => 'x']]),
                ['args[0]', '"pickle"'],
            ],
            'a date beyond the year 9999' => [
                $send('tasks.record', [new \DateTimeImmutable('@253402300800')]),
                ['args[0]', '10000-01-01'],
            ],
            'args not a list' => [$send('tasks.record', ['x' => 1]), ['args', 'must be a list']],
            'args with a gap' => [$send('tasks.record', [1 => 'a']), ['args', 'must be a list']],
            'kwargs with int keys' => [$send('tasks.record', [], [0 => 'a', 1 => 'b']), ['kwargs', 'key 0']],
            'kwargs with a numeric key' => [$send('tasks.record', [], ['5' => 'x']), ['kwargs', 'key 5']],
            'an empty task name' => [$send(''), ['""', 'task name']],
            'a task name with a space' => [$send('tasks record'), ['"tasks record"', 'task name']],
            'an unknown option' => [$option(['countdwn' => 5]), ['"countdwn"']],
            'priority -1' => [$option(['priority' => -1]), ['"priority"', '-1']],
            'priority 10' => [$option(['priority' => 10]), ['"priority"', '10']],
            'priority "5"' => [$option(['priority' => '5']), ['"priority"', '"5"']],
            'priority 5.0' => [$option(['priority' => 5.0]), ['"priority"', '5.0']],
            'eta in words' => [$option(['eta' => 'tomorrow']), ['"eta"', '"tomorrow"']],
            'eta with a space before the offset' => [
                $option(['eta' => '2026-11-24 10:00:00 +00:00']),
                ['"eta"', '"2026-11-24 10:00:00 +00:00"'],
            ],
            'eta empty' => [$option(['eta' => '']), ['"eta"', '""']],
            'eta with a trailing newline' => [$option(['eta' => "2026-11-24T10:00:00+00:00\n"]), ['"eta"']],
            'a revoke destination with a trailing newline' => [
                static fn (string $url) => $client($url, [])->revoke('x', destination: ["celery@host\n"]),
                ['destination'],
            ],
            'eta month 13' => [$option(['eta' => '2026-13-01T00:00:00Z']), ['"eta"', '"2026-13-01T00:00:00Z"']],
            'eta as epoch seconds' => [$option(['eta' => 1764000000]), ['"eta"', '1764000000']],
            'eta beyond the year 9999 in UTC' => [
                $option(['eta' => '9999-12-31T23:00:00-05:00']),
                ['"eta"', '9999-12-31T23:00:00-05:00', '9999'],
            ],
            'expires in words' => [$option(['expires' => 'next week']), ['"expires"', '"next week"']],
            'countdown with eta' => [
                $option(['countdown' => 10, 'eta' => '2030-01-01T00:00:00Z']),
                ['"countdown"', 'countdown and eta'],
            ],
            'countdown as a string' => [$option(['countdown' => '10']), ['"countdown"', '"10"']],
            'countdown NAN' => [$option(['countdown' => NAN]), ['"countdown"', 'NAN']],
            'countdown past the year 9999' => [$option(['countdown' => 1e12]), ['"countdown"', '9999']],
            'countdown too large for a date' => [$option(['countdown' => 1e300]), ['"countdown"', '1.0E+300']],
            'expires too large for a date' => [$option(['expires' => 1e15]), ['"expires"', '9999']],
            'time_limit 0' => [$option(['time_limit' => 0]), ['"time_limit"', '0']],
            'soft_time_limit negative' => [$option(['soft_time_limit' => -1.5]), ['"soft_time_limit"', '-1.5']],
            'retries -1' => [$option(['retries' => -1]), ['"retries"', '-1']],
            'ignore_result "yes"' => [$option(['ignore_result' => 'yes']), ['"ignore_result"', '"yes"']],
            'an empty task_id' => [$option(['task_id' => '']), ['"task_id"', '""']],
            'a task_id with a newline' => [$option(['task_id' => "a\nb"]), ['"task_id"', '"a\x0ab"']],
            'an empty queue name' => [$option(['queue' => '']), ['"queue"', '""']],
            'a blank queue name' => [$option(['queue' => '  ']), ['"queue"', '"  "']],
            'a queue name with kombu\'s separator' => [
                $option(['queue' => "a\x06\x16b"]),
                ['"queue"', '"a\x06\x16b"'],
            ],
            'a queue name that is not a string' => [$option(['queue' => 5]), ['"queue"', '5']],
            'a custom header named "id"' => [$option(['headers' => ['id' => 'x']]), ['"headers"', '"id"']],
            'a custom header named "eta"' => [$option(['headers' => ['eta' => 'x']]), ['"headers"', '"eta"']],
            'headers as a list' => [$option(['headers' => ['a', 'b']]), ['"headers"']],
            'stamps as a list' => [$option(['stamps' => ['b-1']]), ['"stamps"']],
            'a stamp named like an option' => [$option(['stamps' => ['queue' => 'x']]), ['"stamps"', '"queue"']],
            'a stamp named like a header' => [$option(['stamps' => ['task' => 'x']]), ['"stamps"', '"task"']],
            'invalid UTF-8 in a stamp' => [$option(['stamps' => ['batch' => "\xff"]]), ['stamps', 'UTF-8']],
            'a chain as errback' => [
                $option(['link_error' => new Chain(new Signature('tasks.a'), new Signature('tasks.b'))]),
                ['"link_error"', 'new Group($chain)'],
            ],
            'app_id not text' => [$option(['app_id' => 5]), ['"app_id"']],
            'an unknown config key' => [$config(['task_default_queu' => 'x']), ['"task_default_queu"']],
            'an unknown transport option' => [
                $config(['broker_transport_options' => ['prefix' => 'x']]),
                ['"broker_transport_options.prefix"'],
            ],
            'priority_steps not ascending' => [
                $config(['broker_transport_options' => ['priority_steps' => [0, 6, 3]]]),
                ['priority_steps'],
            ],
            'an empty sep' => [
                $config(['broker_transport_options' => ['sep' => '']]),
                ['"broker_transport_options.sep"', '""'],
            ],
            'an unusable task_default_queue' => [
                $config(['task_default_queue' => "a\nb"]),
                ['"task_default_queue"', '"a\x0ab"'],
            ],
            'task_default_priority 10' => [$config(['task_default_priority' => 10]), ['"task_default_priority"', '10']],
            'a route with an unknown key' => [
                $config(['task_routes' => ['tasks.record' => ['queu' => 'x']]]),
                ['task_routes[tasks.record]', '"queu"'],
            ],
            'a route to an unusable queue' => [
                $config(['task_routes' => ['tasks.record' => "a\x06\x16b"]]),
                ['task_routes[tasks.record]', '"queue"'],
            ],
            'a route with priority "5"' => [
                $config(['task_routes' => ['tasks.*' => ['queue' => 'q', 'priority' => '5']]]),
                ['task_routes[tasks.*]', '"priority"', '"5"'],
            ],
            'a broker URL with a non-numeric db' => [
                static fn () => (new CeleryClient('redis://127.0.0.1:1/abc'))->sendTask('tasks.record'),
                ['"abc"'],
            ],
            'a named exchange no queue is bound to' => [
                $option(['exchange' => 'media', 'routing_key' => 'video']),
                ['"media"', '"video"'],
            ],
        ];
    }
}
