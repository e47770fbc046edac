<?php

declare(strict_types=1);

// The fresh-connection baseline after requiring Composer's autoloader (see autoload_pconnect.php).
require getenv('BENCH_ROOT') . '/vendor/autoload.php';

$redis = new Redis();
$redis->connect(getenv('BENCH_REDIS_HOST'), (int) getenv('BENCH_REDIS_PORT'));
$redis->lPush('bench-raw', require getenv('BENCH_MESSAGE'));
echo "queued\n";
