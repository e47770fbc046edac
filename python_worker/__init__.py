"""The Celery app the tests and the demo run: ``celery -A python_worker worker``.

Configuration comes from environment variables only (see python_worker.config):
CELERY_BROKER_URL, CELERY_RESULT_BACKEND, CELERY_CONFIG_JSON, CELERY_BRIDGE_RECORDS_URL.
"""

import importlib

from python_worker.celery_app import app
from python_worker.config import (
    BROKER_URL_ENV,
    CONFIG_JSON_ENV,
    ENV_VARS,
    RECORDS_URL_ENV,
    RESULT_BACKEND_ENV,
)
from python_worker.records import RECORDS_KEY

# Modules whose import registers tasks on `app`. Add new task modules here.
TASK_MODULES = ("python_worker.tasks", "python_worker.result_tasks")

for _module in TASK_MODULES:
    importlib.import_module(_module)

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
