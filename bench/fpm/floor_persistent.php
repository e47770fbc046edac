<?php

declare(strict_types=1);

// Floor, persistent: the message built inline (floor/message.php), pconnect, LPUSH.
$redis = new Redis();
$redis->pconnect(getenv('BENCH_REDIS_HOST'), (int) getenv('BENCH_REDIS_PORT'));
$redis->lPush('celery', require __DIR__ . '/floor/message.php');
echo "queued\n";
