#!/usr/bin/env bash
# `make demo`: a throwaway redis-server and Celery worker, then examples/demo.php sends tasks
# to them, and we show what the worker ran. Assumes no system Redis; everything is stopped
# at the end. Needs `make install` (done by `make demo`).
set -euo pipefail
cd "$(dirname "$0")/.."

# First pass: re-run this script next to its own redis-server on a free port
# (tests/run_with_redis.sh sets CELERY_BROKER_URL and CELERY_RESULT_BACKEND).
if [[ -z "${CELERY_BRIDGE_DEMO_INSIDE:-}" ]]; then
    export CELERY_BRIDGE_DEMO_INSIDE=1
    exec tests/run_with_redis.sh "$0" "$@"
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/celery-bridge-demo.XXXXXX")"
log="$dir/worker.log"
worker_pid=""

stop_worker() {
    if [[ -n "$worker_pid" ]] && kill -0 "$worker_pid" 2>/dev/null; then
        kill -TERM "$worker_pid" 2>/dev/null || true    # warm shutdown
        for _ in $(seq 100); do
            kill -0 "$worker_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$worker_pid" 2>/dev/null || true
        wait "$worker_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap stop_worker EXIT

# wait_for_log REGEX SECONDS: poll the worker log until a line matches.
wait_for_log() {
    local deadline=$((SECONDS + $2))
    until grep -qE "$1" "$log" 2>/dev/null; do
        if ! kill -0 "$worker_pid" 2>/dev/null; then
            echo "demo: the worker exited:" >&2
            cat "$log" >&2
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            echo "demo: no log line /$1/ within $2 s:" >&2
            tail -n 40 "$log" >&2
            exit 1
        fi
        sleep 0.1
    done
}

echo "== redis-server on $CELERY_BROKER_URL, results in $CELERY_RESULT_BACKEND"
.venv/bin/celery -A python_worker worker --pool solo --concurrency 1 --hostname demo@%h \
    --without-gossip --without-mingle --without-heartbeat --loglevel INFO >"$log" 2>&1 &
worker_pid=$!
wait_for_log 'ready\.' 30
echo "== worker ready: celery -A python_worker worker (pid $worker_pid)"

echo "== php examples/demo.php: sends tasks, prints what the worker returned"
php examples/demo.php

echo "== the worker's log of the same tasks"
# The worker stores a result before it logs the task, so wait for the last one's line.
wait_for_log 'tasks\.xsum\[.*\] succeeded' 10
grep -E "\] (succeeded|raised) " "$log" | sed -E 's/^\[[^]]*\] //'
