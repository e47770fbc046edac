<?php

declare(strict_types=1);

// The persistent baseline after requiring Composer's autoloader, which every Composer
// application does before it calls any library: the difference to raw_pconnect.php is what a
// request pays for the autoloader alone, before any class of the library is loaded.
require getenv('BENCH_ROOT') . '/vendor/autoload.php';

$redis = new Redis();
$redis->pconnect(getenv('BENCH_REDIS_HOST'), (int) getenv('BENCH_REDIS_PORT'));
$redis->lPush('bench-raw', require getenv('BENCH_MESSAGE'));
echo "queued\n";
