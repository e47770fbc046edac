<?php

declare(strict_types=1);

// Baseline, persistent: the least any client does in a request, a pooled phpredis socket and
// one LPUSH of a prebuilt task message (bench/fpm.py writes it, opcache keeps it interned).
$redis = new Redis();
$redis->pconnect(getenv('BENCH_REDIS_HOST'), (int) getenv('BENCH_REDIS_PORT'));
$redis->lPush('bench-raw', require getenv('BENCH_MESSAGE'));
echo "queued\n";
