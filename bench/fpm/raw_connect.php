<?php

declare(strict_types=1);

// Baseline, fresh connection: connect, one LPUSH of a prebuilt task message, close at the end
// of the request.
$redis = new Redis();
$redis->connect(getenv('BENCH_REDIS_HOST'), (int) getenv('BENCH_REDIS_PORT'));
$redis->lPush('bench-raw', require getenv('BENCH_MESSAGE'));
echo "queued\n";
