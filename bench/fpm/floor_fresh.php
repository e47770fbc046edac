<?php

declare(strict_types=1);

// Floor, fresh connection: the message built inline (floor/message.php), connect, LPUSH.
$redis = new Redis();
$redis->connect(getenv('BENCH_REDIS_HOST'), (int) getenv('BENCH_REDIS_PORT'));
$redis->lPush('celery', require __DIR__ . '/floor/message.php');
echo "queued\n";
