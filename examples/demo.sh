#!/usr/bin/env bash
# `make demo`: a throwaway redis-server and Celery worker, then examples/demo.php sends tasks
# to them, and we show what the worker ran. Assumes no system Redis; everything is stopped
# at the end. Needs `make install` (done by `make demo`).
set -euo pipefail
cd "$(dirname "$0")/.."

# First pass: re-run this script next to its own redis-server on a free port
# (tests/run_with_redis.sh sets CELERY_BROKER_URL and CELERY_RESULT_BACKEND) and a worker
# (tests/run_with_worker.sh starts it, waits until it is ready, and sets CELERY_WORKER_LOG).
if [[ -z "${CELERY_BRIDGE_DEMO_INSIDE:-}" ]]; then
    export CELERY_BRIDGE_DEMO_INSIDE=1 WORKER_HOSTNAME='demo@%h'
    echo "== starting redis-server and a worker: celery -A python_worker worker"
    exec tests/run_with_redis.sh tests/run_with_worker.sh "$0" "$@"
fi

echo "== redis-server on $CELERY_BROKER_URL, results in $CELERY_RESULT_BACKEND; the worker is ready"

echo "== php examples/demo.php: sends tasks, prints what the worker returned"
php examples/demo.php

echo "== the worker's log of the same tasks"
# The worker stores a result before it logs the task, so wait for the last one's line.
tests/wait_for_log.sh 'tasks\.xsum\[.*\] succeeded' "$CELERY_WORKER_LOG" 10
grep -E "\] (succeeded|raised) " "$CELERY_WORKER_LOG" | sed -E 's/^\[[^]]*\] //'
