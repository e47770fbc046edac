#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind), which machine noise does not move: each figure
# is the difference between a run of 1001 operations and a run of 1, over 1000. Run by
# bench/run.sh against its redis-server (CELERY_BROKER_URL):
#
#   tests/run_with_redis.sh bench/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# Instructions of one run of php with the given environment.
count() {
    env "$@" valgrind --tool=callgrind --callgrind-out-file="$out/cg" php "${script}" >/dev/null 2>&1
    awk '/^(summary|totals):/ { print $2; exit }' "$out/cg"
}
# One operation: (1001 operations - 1 operation) / 1000.
per() {
    local label=$1 variable=$2
    shift 2
    local one many
    one="$(count "$@" "$variable=1")"
    many="$(count "$@" "$variable=1001")"
    printf '  %-30s %7d instructions   (1001: %d, 1: %d)\n' "$label" $(( (many - one) / 1000 )) "$many" "$one"
}

script=bench/build.php
per 'sendTask() build' BENCH_BUILD_ONLY
script=bench/calls.php
per 'sendTask(), phpredis' BENCH_CALLS BENCH_MODE=task BENCH_CLIENT=phpredis
if php -r 'exit(class_exists(Predis\Client::class) || stream_resolve_include_path("Predis/Autoloader.php") ? 0 : 1);'; then
    per 'sendTask(), Predis' BENCH_CALLS BENCH_MODE=task BENCH_CLIENT=predis
else
    echo '  sendTask(), Predis: skipped (Predis is not installed)'
fi
per 'one sendMany() task, phpredis' BENCH_CALLS BENCH_MODE=many BENCH_CLIENT=phpredis
# The baselines of bench/publish.php's ratios: phpredis LPUSH of a prebuilt message.
per 'raw LPUSH, phpredis' BENCH_CALLS BENCH_MODE=raw BENCH_CLIENT=phpredis
per 'raw pipelined LPUSH (per task)' BENCH_CALLS BENCH_MODE=raw-pipelined BENCH_CLIENT=phpredis
