<?php

// The PHP side of tests/test_publish_options.py: `php publish_options.php CASE` sends
// tasks.record tasks with arguments and options to CELERY_BROKER_URL and prints their ids
// (and the clock readings the test compares with what the worker saw).

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;

$celery = new CeleryClient(broker: $brokerUrl);

$cases = [
    // Every JSON type, nested, a DateTime, and empty argument lists and maps.
    'python_types' => function () use ($celery): array {
        $when = new DateTimeImmutable('2030-01-02 03:04:05.678901', new DateTimeZone('America/Sao_Paulo'));
        $full = $celery->sendTask('tasks.record', [
            7, -3, 1.0, 2.5, -0.0, 1e100, PHP_INT_MAX, true, false, null,
            'é😀中文', '', [], [1, [2.0, [null, [true]]]], ['a' => ['b' => [1, 'c']]], $when,
        ], ['n' => 1, 'f' => 1.0, 'none' => null, 'text' => 'ünï 😀', 'map' => ['k' => []], 'list' => [1]]);
        $empty = $celery->sendTask('tasks.record');
        $emptyList = $celery->sendTask('tasks.record', [[]], []);
        $emptyMap = $celery->sendTask('tasks.record', [new stdClass()], ['m' => new stdClass()]);
        return ['full' => $full->id, 'empty' => $empty->id, 'empty_list' => $emptyList->id,
            'empty_map' => $emptyMap->id, 'when' => $when->format('U.u')];
    },
    // Now, after a countdown of CB_DELAY seconds, and at an eta that far ahead in two zones.
    'countdown_and_eta' => function () use ($celery): array {
        $delay = (float) getenv('CB_DELAY');
        $out = [];
        $send = function (string $label, array $options) use ($celery, &$out): void {
            $publishedAt = microtime(true);
            $id = $celery->sendTask('tasks.record', [$label], [], $options)->id;
            $out[$label] = ['id' => $id, 'published_at' => $publishedAt, 'returned_at' => microtime(true)];
        };
        $later = sprintf('+%.0f usec', $delay * 1e6);
        $tokyo = (new DateTimeImmutable('now', new DateTimeZone('Asia/Tokyo')))->modify($later);
        $india = (new DateTimeImmutable('now', new DateTimeZone('+05:30')))->modify($later);
        $send('now', []);
        $send('countdown', ['countdown' => $delay]);
        $send('eta_datetime', ['eta' => $tokyo]);
        $send('eta_string', ['eta' => $india->format('Y-m-d\TH:i:s.uP')]);
        $out['eta_datetime']['eta'] = $tokyo->format('U.u');
        $out['eta_string']['eta'] = $india->format('U.u');
        return $out;
    },
    'expired' => function () use ($celery): array {
        $past = new DateTime('-10 seconds', new DateTimeZone('Europe/Paris'));
        $ids = [];
        foreach (
            [
                'seconds' => ['expires' => -5],
                'datetime' => ['expires' => $past],
                'string' => ['expires' => '2001-02-03T04:05:06Z'],
                // Not expired when received, but by the time its countdown is due.
                'short' => ['countdown' => 1.2, 'expires' => 0.6],
            ] as $label => $options
        ) {
            $ids[$label] = $celery->sendTask('tasks.record', [$label], [], $options)->id;
        }
        return $ids;
    },
    'request_context' => function () use ($celery): array {
        $options = [
            'task_id' => 'php-chosen-id-' . bin2hex(random_bytes(4)),
            'time_limit' => 30,
            'soft_time_limit' => 12.5,
            'retries' => 2,
            'shadow' => 'php.shadow.name',
            'headers' => ['x-trace' => 'abc', 'n' => 1, 'nested' => ['a' => [1, null]]],
            'root_id' => 'root-' . bin2hex(random_bytes(4)),
            'parent_id' => 'parent-' . bin2hex(random_bytes(4)),
        ];
        $withOptions = $celery->sendTask('tasks.record', [], [], $options);
        $plain = $celery->sendTask('tasks.record');
        return ['options' => $options, 'id' => $withOptions->id, 'plain' => $plain->id];
    },
    'ignore_result' => fn () => [
        'ignored' => $celery->sendTask('tasks.record', ['ignored'], [], ['ignore_result' => true])->id,
        'stored' => $celery->sendTask('tasks.record', ['stored'], [], ['ignore_result' => false])->id,
        'default' => $celery->sendTask('tasks.record', ['default'])->id,
    ],
    // tasks.record_quietly has ignore_result=True: unset, it applies; false overrides it.
    'tasks_own_ignore_result' => function () use ($celery): array {
        $quiet = fn (string $arg, array $o) => $celery->sendTask('tasks.record_quietly', [$arg], [], $o);
        return [
            'quiet' => $quiet('quiet', [])->id,
            'forced' => $quiet('forced', ['ignore_result' => false])->id,
            'after' => $celery->sendTask('tasks.add', [1, 1])->id,
        ];
    },
    'time_limits' => function () use ($brokerUrl): array {
        $celery = new CeleryClient(broker: $brokerUrl, config: ['task_default_queue' => 'limits']);
        $sleep = fn (float $seconds, array $o) => $celery->sendTask('tasks.sleep', [$seconds], [], $o)->id;
        // The hard limit kills the pool process, whose replacement takes seconds: send it last.
        return [
            'within' => $sleep(0.01, ['soft_time_limit' => 5, 'time_limit' => 10]),
            'soft' => $sleep(30, ['soft_time_limit' => 0.3, 'time_limit' => 20]),
            'hard' => $sleep(30, ['time_limit' => 0.3]),
        ];
    },
    'global_keyprefix' => function () use ($brokerUrl): array {
        $celery = new CeleryClient(broker: $brokerUrl, config: [
            'broker_transport_options' => ['global_keyprefix' => 'pfx:'],
        ]);
        return [
            $celery->sendTask('tasks.record', ['plain'])->id,
            $celery->sendTask('tasks.record', ['urgent-last'], [], ['priority' => 7])->id,
        ];
    },
];
echo json_encode($cases[$argv[1]]());
