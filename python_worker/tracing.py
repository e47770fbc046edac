"""OpenTelemetry for the workers: a task continues the trace a PHP caller started.

Turned on by the standard OpenTelemetry variable OTEL_TRACES_EXPORTER:

    OTEL_TRACES_EXPORTER=console   one JSON line per finished span on stdout (the worker's log)
    OTEL_TRACES_EXPORTER=otlp      OTLP over HTTP (pip install opentelemetry-exporter-otlp-proto-http;
                                   OTEL_EXPORTER_OTLP_ENDPOINT and the other OTEL_* variables apply)
    OTEL_SERVICE_NAME              the service name (default celery-worker)

opentelemetry-instrumentation-celery reads the W3C "traceparent" message header that
CeleryBridge's TraceContext adds, so the task's span is a child of the PHP span that sent it.
The SDK is set up once per process: in the worker process for the solo and threads pools, and
in each child for prefork (spans are exported from the process that runs the task).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from celery import signals

EXPORTER_ENV = "OTEL_TRACES_EXPORTER"
SERVICE_ENV = "OTEL_SERVICE_NAME"

_set_up_in: int | None = None


def set_up_tracing() -> bool:
    """Install a TracerProvider and instrument Celery, once per process, when asked to."""
    global _set_up_in
    exporter_name = os.environ.get(EXPORTER_ENV, "").strip().lower()
    if exporter_name in ("", "none") or _set_up_in == os.getpid():
        return False
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    service = os.environ.get(SERVICE_ENV, "celery-worker")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter_name == "console":
        # One line per span, so that a log reader can pick them out.
        exporter = ConsoleSpanExporter(out=sys.stdout, formatter=lambda s: s.to_json(indent=None) + "\n")
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        raise ValueError(f"{EXPORTER_ENV} must be console, otlp or none, got {exporter_name!r}.")
    trace.set_tracer_provider(provider)
    CeleryInstrumentor().instrument()
    _set_up_in = os.getpid()
    return True


@signals.worker_process_init.connect
def _on_child_start(**_: Any) -> None:
    set_up_tracing()


@signals.worker_init.connect
def _on_worker_start(sender: Any = None, **_: Any) -> None:
    # prefork children set themselves up (a provider made before the fork would export from
    # the parent); the other pools run tasks in this process.
    pool = getattr(getattr(sender, "pool_cls", None), "__module__", "") if sender is not None else ""
    if "prefork" not in str(pool):
        set_up_tracing()
