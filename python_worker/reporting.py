"""Central error reporting for the workers: Sentry, syslog and/or a JSON-lines file.

Errors that never reach the PHP caller end up here: above all "Received unregistered task of
type ..." (a task name no worker knows: the consumer logs it and drops the message), messages
that cannot be decoded, task failures and retries. Everything is driven by environment
variables, read when the worker starts:

    SENTRY_DSN                  report to Sentry (pip install sentry-sdk, see pyproject's extra)
    SENTRY_SEND_TASK_ARGUMENTS  "1": keep the task arguments in Sentry events (default: scrubbed)
    SENTRY_TRACES_SAMPLE_RATE   0..1: task transactions, continuing a trace started in PHP
    CELERY_SYSLOG_ADDRESS       "host:port" (UDP) or the path of a unix socket (e.g. /dev/log)
    CELERY_ERROR_LOG_JSON       a file that gets one JSON object per record
    CELERY_CENTRAL_LOG_LEVEL    level of the syslog and JSON sinks (default ERROR)

Sentry adds no logging handler: its logging integration turns ERROR records into events (the
consumer's unregistered-task error among them) and its Celery integration reports each task
failure once (it ignores Celery's own "Task ... raised" record). The syslog and JSON handlers are
attached from Celery's after_setup_logger / after_setup_task_logger signals, which fire again in
every prefork child that sets up its own log file (a "%i" logfile, or
worker_hijack_root_logger=False): a handler is attached only where neither that logger nor a
logger it propagates to has one already, so each record reaches each sink once.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import socket
from collections.abc import Mapping
from typing import Any

from celery import signals

SENTRY_DSN_ENV = "SENTRY_DSN"
SENTRY_ARGUMENTS_ENV = "SENTRY_SEND_TASK_ARGUMENTS"
SENTRY_TRACES_ENV = "SENTRY_TRACES_SAMPLE_RATE"
SYSLOG_ENV = "CELERY_SYSLOG_ADDRESS"
JSON_LOG_ENV = "CELERY_ERROR_LOG_JSON"
LEVEL_ENV = "CELERY_CENTRAL_LOG_LEVEL"

ENV_VARS = (SENTRY_DSN_ENV, SENTRY_ARGUMENTS_ENV, SENTRY_TRACES_ENV, SYSLOG_ENV, JSON_LOG_ENV, LEVEL_ENV)

SCRUBBED = "[scrubbed: task arguments; set SENTRY_SEND_TASK_ARGUMENTS=1 to keep them]"

# The loggers whose records quote a whole message (its body, and headers carrying argsrepr and
# kwargsrepr): Celery 5.x's consumer, e.g. for an unregistered task.
_MESSAGE_QUOTING_LOGGERS = ("celery.worker.consumer",)

# Marks the handlers this module made, so a second signal never adds another.
_MARK = "_celery_bridge_central"

_handlers: list[logging.Handler] | None = None


def _enabled(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def scrub_event(event: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    """Sentry's before_send: drop task arguments from an event.

    A message-quoting consumer record keeps only its first parameter (the task type or the
    error), in the event and in later events' breadcrumbs; a task failure loses the args and
    kwargs the Celery integration attaches.
    """
    logentry = event.get("logentry")
    if isinstance(logentry, dict) and str(event.get("logger", "")).startswith(_MESSAGE_QUOTING_LOGGERS):
        params = logentry.get("params")
        if isinstance(params, list) and len(params) > 1:
            logentry["params"] = [params[0], *([SCRUBBED] * (len(params) - 1))]
            try:
                logentry["formatted"] = str(logentry.get("message", "")) % tuple(logentry["params"])
            except (TypeError, ValueError):
                logentry["formatted"] = SCRUBBED
    # Breadcrumbs are earlier log records, the consumer's among them.
    crumbs = event.get("breadcrumbs")
    for crumb in crumbs.get("values", []) if isinstance(crumbs, dict) else []:
        if isinstance(crumb, dict) and str(crumb.get("category", "")).startswith(_MESSAGE_QUOTING_LOGGERS):
            crumb["message"] = str(crumb.get("message", "")).split("\n", 1)[0] + " " + SCRUBBED
            crumb.pop("data", None)
    for holder in (event.get("extra"), event.get("contexts")):
        job = holder.get("celery-job") if isinstance(holder, dict) else None
        if isinstance(job, dict):
            for key in ("args", "kwargs"):
                if key in job:
                    job[key] = SCRUBBED
    return event


def init_sentry(environ: Mapping[str, str]) -> bool:
    """sentry_sdk.init() with the Celery integration, when SENTRY_DSN is set."""
    dsn = environ.get(SENTRY_DSN_ENV)
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration

    keep_arguments = _enabled(environ.get(SENTRY_ARGUMENTS_ENV))
    rate = environ.get(SENTRY_TRACES_ENV)
    sentry_sdk.init(
        dsn=dsn,
        integrations=[CeleryIntegration()],
        traces_sample_rate=float(rate) if rate else None,
        # Frame variables of a task hold its arguments.
        include_local_variables=keep_arguments,
        before_send=None if keep_arguments else scrub_event,
    )
    return True


def task_id_of(record: logging.LogRecord) -> str | None:
    """The id of the task a record is about, when it says: the task logger's records carry it,
    and the consumer's "Received unregistered task" record has the message headers among its
    arguments (protocol 2 puts the id there). Lets a report be matched with the id PHP logged."""
    task_id = getattr(record, "task_id", None)
    if isinstance(task_id, str) and task_id not in ("", "???"):
        return task_id
    args = record.args if isinstance(record.args, tuple) else ()
    for arg in args:
        if isinstance(arg, Mapping) and isinstance(arg.get("id"), str) and "task" in arg:
            return arg["id"]
    return None


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the task id when the record
    names a task, and the exception's type."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": record.created,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        task_id = task_id_of(record)
        if task_id is not None:
            entry["task_id"] = task_id
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str)


class SyslogFormatter(logging.Formatter):
    """The first line of the message (a syslog record is one datagram), the task id when the
    record names a task (the unregistered-task message has it only on a later line), and the
    exception type."""

    def format(self, record: logging.LogRecord) -> str:
        first = record.getMessage().split("\n", 1)[0]
        task_id = task_id_of(record)
        if task_id is not None and task_id not in first:
            first = f"{first} task_id={task_id}"
        exc = f" [{record.exc_info[0].__name__}]" if record.exc_info and record.exc_info[0] else ""
        return f"celery[{record.process}]: {record.levelname} {record.name}: {first}{exc}"


def _syslog_address(value: str) -> str | tuple[str, int]:
    if value.startswith("/"):
        return value
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{SYSLOG_ENV} must be host:port or a unix socket path, got {value!r}.")
    return (host.strip("[]"), int(port))


def central_handlers(environ: Mapping[str, str]) -> list[logging.Handler]:
    """The syslog and JSON-lines handlers the environment asks for (one set per process)."""
    global _handlers
    if _handlers is not None:
        return _handlers
    level = logging.getLevelName((environ.get(LEVEL_ENV) or "ERROR").upper())
    if not isinstance(level, int):
        raise ValueError(f"{LEVEL_ENV} must be a level name such as ERROR, got {environ.get(LEVEL_ENV)!r}.")
    handlers: list[logging.Handler] = []
    if environ.get(SYSLOG_ENV):
        address = _syslog_address(environ[SYSLOG_ENV])
        syslog = logging.handlers.SysLogHandler(
            address=address, socktype=socket.SOCK_DGRAM if isinstance(address, tuple) else None
        )
        syslog.setFormatter(SyslogFormatter())
        handlers.append(syslog)
    if environ.get(JSON_LOG_ENV):
        json_file = logging.FileHandler(environ[JSON_LOG_ENV], encoding="utf-8")
        json_file.setFormatter(JsonLinesFormatter())
        handlers.append(json_file)
    for handler in handlers:
        handler.setLevel(level)
        setattr(handler, _MARK, True)
    _handlers = handlers
    return handlers


def _reaches_central_handler(logger: logging.Logger) -> bool:
    """Whether a record on `logger` already reaches one of this module's handlers."""
    current: logging.Logger | None = logger
    while current is not None:
        if any(getattr(handler, _MARK, False) for handler in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False


def attach(logger: logging.Logger, environ: Mapping[str, str] | None = None) -> None:
    """Attach the central handlers to `logger`, unless its records reach them already."""
    handlers = central_handlers(os.environ if environ is None else environ)
    if handlers and not _reaches_central_handler(logger):
        for handler in handlers:
            logger.addHandler(handler)


@signals.celeryd_init.connect
def _on_worker_start(**_: Any) -> None:
    # Before the pool forks, so that prefork children inherit the client (sentry-sdk restarts its
    # sending thread in a forked child by itself).
    init_sentry(os.environ)


@signals.after_setup_logger.connect
def _on_setup_logger(logger: logging.Logger, **_: Any) -> None:
    attach(logger)


@signals.after_setup_task_logger.connect
def _on_setup_task_logger(logger: logging.Logger, **_: Any) -> None:
    attach(logger)
