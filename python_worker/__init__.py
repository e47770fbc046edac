"""The Celery app the tests and the demo run: ``celery -A python_worker worker``.

Configuration comes from environment variables only (see python_worker.config):
CELERY_BROKER_URL, CELERY_RESULT_BACKEND, CELERY_CONFIG_JSON, CELERY_BRIDGE_RECORDS_URL; central
error reporting (python_worker.reporting): SENTRY_DSN, CELERY_SYSLOG_ADDRESS, CELERY_ERROR_LOG_JSON,
...; tracing (python_worker.tracing): OTEL_TRACES_EXPORTER; CELERY_READY_FILE (python_worker.ready).
"""

import importlib

from python_worker import ready, reporting, tracing
from python_worker.celery_app import app
from python_worker.config import (
    BROKER_URL_ENV,
    CONFIG_JSON_ENV,
    RECORDS_URL_ENV,
    RESULT_BACKEND_ENV,
)
from python_worker.config import ENV_VARS as CONFIG_ENV_VARS
from python_worker.records import RECORDS_KEY

# Every environment variable the worker reads.
ENV_VARS = (
    *CONFIG_ENV_VARS,
    *reporting.ENV_VARS,
    tracing.EXPORTER_ENV,
    tracing.SERVICE_ENV,
    ready.READY_FILE_ENV,
)

# Modules whose import registers tasks on `app`. Add new task modules here.
TASK_MODULES = ("python_worker.tasks", "python_worker.result_tasks")

for _module in TASK_MODULES:
    importlib.import_module(_module)

ready.install(app)

__all__ = [
    "BROKER_URL_ENV",
    "CONFIG_JSON_ENV",
    "ENV_VARS",
    "RECORDS_KEY",
    "RECORDS_URL_ENV",
    "RESULT_BACKEND_ENV",
    "TASK_MODULES",
    "app",
]
