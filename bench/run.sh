#!/usr/bin/env bash
# `make bench`: every benchmark, each against its own throwaway redis-server. Loopback timings on
# a small machine swing with where the processes run, so the publish bench runs twice: with
# redis-server and PHP pinned to one CPU (client CPU cost shows) and unpinned. Ratios compare
# with baselines measured in the same run; the instruction count (callgrind) does not move with
# machine noise at all.
set -euo pipefail
cd "$(dirname "$0")/.."

with_redis=tests/run_with_redis.sh
cpu=$(( $(nproc) - 1 ))

echo "== bench/build.php (pinned to CPU $cpu)"
taskset -c "$cpu" php bench/build.php
echo
echo "== bench/publish.php, redis-server and php pinned to CPU $cpu"
REDIS_CPU="$cpu" "$with_redis" taskset -c "$cpu" php bench/publish.php
echo
echo "== bench/publish.php, unpinned"
"$with_redis" php bench/publish.php
echo
echo "== bench/latency.php"
# The worker logs warnings only: its INFO lines would add to every round trip.
WORKER_LOGLEVEL=WARNING "$with_redis" tests/run_with_worker.sh php bench/latency.php
echo
echo "== bench/coldstart.php"
"$with_redis" php bench/coldstart.php
echo
echo "== bench/amqp_bench.py (RabbitMQ: a rabbitmq-server node of its own, stopped by PID)"
# rabbitmq-server and php-amqplib come with `make install`.
.venv/bin/python bench/amqp_bench.py
echo
echo "== bench/fpm.py (nginx + php-fpm + wrk, all on loopback)"
# Debian's packages; the bench runs its own nginx and php-fpm in a temporary directory
# (and valgrind counts instructions below).
missing=()
command -v valgrind >/dev/null || missing+=(valgrind)
[[ -x /usr/sbin/nginx ]] || missing+=(nginx)
[[ -x /usr/sbin/php-fpm8.2 ]] || command -v php-fpm >/dev/null || missing+=(php8.2-fpm)
command -v wrk >/dev/null || missing+=(wrk)
if [[ ${#missing[@]} -gt 0 ]]; then
    sudo=$([[ "$(id -u)" -eq 0 ]] || echo sudo)
    echo "bench: apt-get install ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
"$with_redis" .venv/bin/python bench/fpm.py
echo
echo "== bench/fpm_instructions.py (instructions of one PHP-FPM request, callgrind)"
"$with_redis" .venv/bin/python bench/fpm_instructions.py
echo
echo "== instructions (valgrind --tool=callgrind): sendTask() build, whole calls, one sendMany() task"
"$with_redis" bench/instructions.sh
