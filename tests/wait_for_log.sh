#!/usr/bin/env bash
# Polls a log file until a line matches, under a deadline; fails early when the process that
# writes it has exited. Used by tests/run_with_worker.sh and examples/demo.sh.
# Usage: tests/wait_for_log.sh REGEX LOGFILE SECONDS [PID]
set -euo pipefail

if [[ $# -lt 3 ]]; then
    echo "usage: $0 REGEX LOGFILE SECONDS [PID]" >&2
    exit 2
fi
regex="$1" log="$2" seconds="$3" pid="${4:-}"
deadline=$((SECONDS + seconds))
until grep -qE "$regex" "$log" 2>/dev/null; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
        echo "wait_for_log: the process writing $log exited:" >&2
        cat "$log" >&2 || true
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        echo "wait_for_log: no line /$regex/ in $log within $seconds s:" >&2
        tail -n 40 "$log" >&2 || true
        exit 1
    fi
    sleep 0.1
done
