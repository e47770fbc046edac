<?php

declare(strict_types=1);

// Result latency: publish a trivial task (tasks.identity) and take its value in PHP, again and
// again, with get() (subscribe, then read the key) next to the way other PHP clients wait:
// GET the result key, usleep(), GET again. Runs alternate between the methods, against the
// same worker and redis-server, so drift hits all of them alike.
//
// Besides the round trip (sendTask() to value in hand), "after store" is the time from the
// worker's date_done (taken just before it writes the result) to PHP holding the value: what
// the wait itself adds. Both are read from this machine's wall clock.
//
// It needs a worker of the python_worker app on the given Redis: tests/run_with_worker.sh starts
// one (solo pool) and stops it afterwards.
//
//   tests/run_with_redis.sh tests/run_with_worker.sh php bench/latency.php     (`make bench`)
//   CELERY_BROKER_URL=redis://127.0.0.1:6379/0 CELERY_RESULT_BACKEND=redis://127.0.0.1:6379/1 \
//   BENCH_RUNS=200 php bench/latency.php                       (workers already running there)

require __DIR__ . '/../vendor/autoload.php';

use CeleryBridge\CeleryClient;

$broker = getenv('CELERY_BROKER_URL') ?: 'redis://127.0.0.1:6379/0';
$backend = getenv('CELERY_RESULT_BACKEND') ?: 'redis://127.0.0.1:6379/1';
$runs = (int) (getenv('BENCH_RUNS') ?: 200);
$jsonOut = getenv('BENCH_JSON') ?: null;

$celery = new CeleryClient(broker: $broker, backend: $backend);

// The polling baselines read the key with their own phpredis client, as such clients do.
$parts = parse_url($backend);
$poller = new Redis();
$poller->connect($parts['host'], $parts['port'] ?? 6379);
if (isset($parts['pass'])) {
    $poller->auth(rawurldecode($parts['pass']));
}
$poller->select((int) trim($parts['path'] ?? '0', '/'));

$poll = static function (int $i, int $intervalMicros) use ($celery, $poller): array {
    $id = $celery->sendTask('tasks.identity', [$i])->id;
    $deadline = microtime(true) + 10.0;
    while (true) {
        $raw = $poller->get('celery-task-meta-' . $id);
        if (is_string($raw)) {
            $meta = json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
            if (in_array($meta['status'], ['SUCCESS', 'FAILURE', 'REVOKED'], true)) {
                return [$id, $meta['result'], microtime(true)];
            }
        }
        if (microtime(true) > $deadline) {
            throw new RuntimeException("No result for task $id.");
        }
        usleep($intervalMicros);
    }
};

/** @var array<string, callable(int): array{string, mixed, float}> $methods */
$methods = [
    'get() subscribe' => static function (int $i) use ($celery): array {
        $result = $celery->sendTask('tasks.identity', [$i]);
        $value = $result->get(timeout: 10.0);
        return [$result->id, $value, microtime(true)];
    },
    'poll 10 ms' => static fn (int $i): array => $poll($i, 10000),
    'poll 100 ms' => static fn (int $i): array => $poll($i, 100000),
];

// Warm-up: the worker starting, connections, autoload, the first tasks.
$celery->sendTask('tasks.identity', [-1])->get(timeout: 60.0);
foreach ($methods as $method) {
    $method(-1);
}

$names = array_keys($methods);
$roundTrip = array_fill_keys($names, []);
$afterStore = array_fill_keys($names, []);
for ($i = 0; $i < $runs; $i++) {
    $shift = $i % count($names);
    foreach (array_merge(array_slice($names, $shift), array_slice($names, 0, $shift)) as $name) {
        $started = hrtime(true);
        [$id, $value, $heldAt] = $methods[$name]($i);
        $roundTrip[$name][] = (hrtime(true) - $started) / 1e6;
        if ($value !== $i) {
            throw new RuntimeException(sprintf('%s: run %d returned %s.', $name, $i, var_export($value, true)));
        }
        $stored = $celery->result($id)->dateDone();
        $afterStore[$name][] = ($heldAt - (float) $stored?->format('U.u')) * 1e3;
    }
}

$percentile = static function (array $values, float $p): float {
    sort($values);
    $rank = (int) ceil($p / 100 * count($values)) - 1;
    return $values[max(0, min(count($values) - 1, $rank))];
};

$base = $percentile($roundTrip[$names[0]], 50);
$report = [];
printf("Result latency, %d runs per method, tasks.identity on a solo worker (ms)\n", $runs);
printf(
    "%-17s %9s %9s %9s %13s %13s %10s\n",
    'method',
    'rt p50',
    'rt p99',
    'rt max',
    'after p50',
    'after p99',
    'p50 ratio',
);
foreach ($names as $name) {
    $row = [
        'round_trip_p50_ms' => $percentile($roundTrip[$name], 50),
        'round_trip_p99_ms' => $percentile($roundTrip[$name], 99),
        'round_trip_max_ms' => max($roundTrip[$name]),
        'after_store_p50_ms' => $percentile($afterStore[$name], 50),
        'after_store_p99_ms' => $percentile($afterStore[$name], 99),
    ];
    $row['p50_ratio_to_get'] = $row['round_trip_p50_ms'] / $base;
    $report[$name] = $row;
    printf(
        "%-17s %9.2f %9.2f %9.2f %13.2f %13.2f %9.1fx\n",
        $name,
        $row['round_trip_p50_ms'],
        $row['round_trip_p99_ms'],
        $row['round_trip_max_ms'],
        $row['after_store_p50_ms'],
        $row['after_store_p99_ms'],
        $row['p50_ratio_to_get'],
    );
}
echo "rt = sendTask() to value in PHP; after = worker's date_done to value in PHP.\n";

if ($jsonOut !== null) {
    file_put_contents($jsonOut, json_encode(['runs' => $runs, 'methods' => $report], JSON_PRETTY_PRINT) . "\n");
}
