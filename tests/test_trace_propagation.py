"""A trace started in PHP continues in the worker (TraceContext), seen by the real tools:
OpenTelemetry's Celery instrumentation and sentry-sdk's Celery integration, both set up by
python_worker (tracing.py, reporting.py) from their environment variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import databases
from harness import CeleryWorker
from listeners import SentryListener

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"

# Every task tests/php/trace_send.php sends carries this trace, through a before-publish hook.
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"


def send_traced(run_php, env: dict[str, str]) -> Any:
    return run_php.file("trace_send.php", env={**env, "CB_TRACEPARENT": TRACEPARENT}).json()


def test_the_task_span_continues_the_php_trace_in_opentelemetry(
    redis_factory, worker_factory, run_php, tmp_path: Path
) -> None:
    server = redis_factory()
    worker: CeleryWorker = worker_factory(
        server.url(databases.BROKER), server.url(databases.BACKEND), env={"OTEL_TRACES_EXPORTER": "console"}
    )

    env = {
        "CELERY_BROKER_URL": server.url(databases.BROKER),
        "CELERY_RESULT_BACKEND": server.url(databases.BACKEND),
    }
    assert send_traced(run_php, env) == 5

    # The console exporter writes one JSON line per span, when the span ends (the task's "run").
    worker.wait_for_log(r'\{"name": "run/tasks\.add"')
    spans = [json.loads(line) for line in worker.log_text().splitlines() if line.startswith('{"name": "run/')]
    assert [(s["context"]["trace_id"], s["parent_id"]) for s in spans] == [(f"0x{TRACE_ID}", f"0x{SPAN_ID}")]


def test_the_task_transaction_continues_the_php_trace_in_sentry(
    redis_factory, worker_factory, run_php, tmp_path: Path
) -> None:
    server = redis_factory()
    with SentryListener() as sentry:
        worker_factory(
            server.url(databases.BROKER),
            server.url(databases.BACKEND),
            env={"SENTRY_DSN": sentry.dsn, "SENTRY_TRACES_SAMPLE_RATE": "1.0"},
        )
        env = {
            "CELERY_BROKER_URL": server.url(databases.BROKER),
            "CELERY_RESULT_BACKEND": server.url(databases.BACKEND),
        }
        assert send_traced(run_php, env) == 5
        [transaction] = sentry.wait_for("transaction")

    trace = transaction["contexts"]["trace"]
    assert transaction["transaction"] == "tasks.add"
    assert (trace["trace_id"], trace["parent_span_id"]) == (TRACE_ID, SPAN_ID)
