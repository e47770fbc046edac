#!/usr/bin/env bash
# Runs a command next to a throwaway redis-server on a free loopback port, then stops it
# (always, also when the command fails or is interrupted). The command sees
#   CELERY_BRIDGE_REDIS_URL  redis://127.0.0.1:<port>/0
#   CELERY_BROKER_URL        redis://127.0.0.1:<port>/0
#   CELERY_RESULT_BACKEND    redis://127.0.0.1:<port>/1
#   REDIS_PORT               <port>
# With REDIS_CPU=n the server runs pinned to that CPU (taskset; bench/run.sh).
# Usage: tests/run_with_redis.sh phpunit --testsuite integration
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/celery-bridge-redis.XXXXXX")"
redis_pid=""

cleanup() {
    if [[ -n "$redis_pid" ]] && kill -0 "$redis_pid" 2>/dev/null; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The port can be taken between choosing and binding it: try a few.
for _ in 1 2 3; do
    port="$(free_port)"
    ${REDIS_CPU:+taskset -c "$REDIS_CPU"} redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
        --logfile "$dir/redis.log" --daemonize no &
    redis_pid=$!
    for _ in $(seq 100); do
        if [[ "$(redis-cli -p "$port" ping 2>/dev/null)" == "PONG" ]]; then
            break 2
        fi
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.05
    done
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=""
done
if [[ -z "$redis_pid" ]]; then
    echo "run_with_redis: redis-server did not start:" >&2
    cat "$dir/redis.log" >&2 || true
    exit 1
fi

export REDIS_PORT="$port"
export CELERY_BRIDGE_REDIS_URL="redis://127.0.0.1:$port/0"
export CELERY_BROKER_URL="redis://127.0.0.1:$port/0"
export CELERY_RESULT_BACKEND="redis://127.0.0.1:$port/1"

status=0
"$@" || status=$?
exit "$status"
