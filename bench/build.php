<?php

declare(strict_types=1);

// Build cost: the CPU time sendTask('tasks.add', [$i, $i]) spends on the message before its
// LPUSH (ids, routing, the envelope from PlainTaskEncoder's template), and what the general path
// (canvas planner, MessageBuilder) spends on the same call: no server, no I/O. Medians of
// BENCH_ROUNDS alternating rounds of BENCH_TASKS messages.
//
//   php bench/build.php
//
// With BENCH_BUILD_ONLY=N it builds N plain messages and prints nothing: what bench/run.sh runs
// under callgrind to count instructions per build.

require __DIR__ . '/../vendor/autoload.php';
require __DIR__ . '/rounds.php';

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Message\PlainTaskEncoder;
use CeleryBridge\Publish\PlainPath;
use CeleryBridge\Wire\Uuid;

$origin = sprintf('gen%d@%s', getmypid(), gethostname());
$replyTo = Uuid::v4();
$builder = new MessageBuilder($origin, $replyTo);
$encoder = PlainTaskEncoder::forClient($origin, $replyTo, 2, 'json', null) ?? throw new LogicException('no template');
$delivery = new Delivery('celery');

// What sendTask('tasks.add', [$i, $i]) does before its LPUSH: PlainPath::message(), the route
// cache, the task's ids from the path's batch, the envelope and the message it hands the transport.
$path = new PlainPath(ClientConfig::fromArray([]), $encoder);
$plain = static function (int $count) use ($path): void {
    for ($i = 0; $i < $count; $i++) {
        $path->message('tasks.add', [$i, $i], [], null);
    }
};
$general = static function (int $count) use ($builder, $delivery): void {
    for ($i = 0; $i < $count; $i++) {
        $now = new DateTimeImmutable('now', new DateTimeZone('UTC'));
        $builder->build(new Signature('tasks.add', [$i, $i]), Uuid::v4(), $delivery, $now, Uuid::v4())->toEnvelope();
    }
};

$only = getenv('BENCH_BUILD_ONLY');
if ($only !== false) {
    $plain((int) $only);
    exit(0);
}

$count = (int) (getenv('BENCH_TASKS') ?: 100000);
$rounds = (int) (getenv('BENCH_ROUNDS') ?: 5);
$per = median_rounds(
    ['sendTask() build' => static fn () => $plain($count), 'general path' => static fn () => $general($count)],
    $rounds,
    $count,
);
printf("build, %d messages, median of %d alternating rounds (CPU, no I/O):\n", $count, $rounds);
foreach ($per as $name => $seconds) {
    printf("  %-17s %6.2f us/message\n", $name, $seconds * 1e6);
}
