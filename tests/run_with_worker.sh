#!/usr/bin/env bash
# Runs a command next to a Celery worker (the python_worker app, solo pool) on
# CELERY_BROKER_URL / CELERY_RESULT_BACKEND, started first and stopped afterwards with a warm
# shutdown (always, also when the command fails or is interrupted). The command sees
#   CELERY_WORKER_LOG   the worker's log file (INFO: one line per task received and done)
# WORKER_HOSTNAME names the worker (default run@%h), WORKER_LOGLEVEL its log level (default
# INFO). Readiness is the file python_worker writes on worker_ready (CELERY_READY_FILE), so any
# level works. Usually under tests/run_with_redis.sh, which provides the URLs; `make demo` and
# bench/run.sh use it.
# Usage: tests/run_with_redis.sh tests/run_with_worker.sh php examples/demo.php
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi
: "${CELERY_BROKER_URL:?run_with_worker: set CELERY_BROKER_URL (tests/run_with_redis.sh does)}"

dir="$(mktemp -d "${TMPDIR:-/tmp}/celery-bridge-worker.XXXXXX")"
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
trap 'exit 130' INT TERM

# CELERY_CONFIG_JSON is the tests' way to configure python_worker; this worker runs the defaults.
env -u CELERY_CONFIG_JSON CELERY_READY_FILE="$dir/ready" .venv/bin/celery -A python_worker worker --pool solo --concurrency 1 \
    --hostname "${WORKER_HOSTNAME:-run@%h}" --without-gossip --without-mingle --without-heartbeat \
    --loglevel "${WORKER_LOGLEVEL:-INFO}" >"$log" 2>&1 &
worker_pid=$!
tests/wait_for_log.sh . "$dir/ready" 30 "$worker_pid"

export CELERY_WORKER_LOG="$log"
"$@"
