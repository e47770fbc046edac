"""Worker configuration, read from environment variables only.

The same variables drive the pytest harness, the demo and docker-compose.yml, so a
deployment's Celery settings can be reproduced without editing code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

BROKER_URL_ENV = "CELERY_BROKER_URL"
RESULT_BACKEND_ENV = "CELERY_RESULT_BACKEND"
# A JSON object of extra Celery settings merged last (so it can override anything), e.g.
# {"broker_transport_options": {"sep": ":"}, "task_track_started": true}.
CONFIG_JSON_ENV = "CELERY_CONFIG_JSON"
# Where tasks.record pushes its events; defaults to the broker URL.
RECORDS_URL_ENV = "CELERY_BRIDGE_RECORDS_URL"

ENV_VARS = (BROKER_URL_ENV, RESULT_BACKEND_ENV, CONFIG_JSON_ENV, RECORDS_URL_ENV)

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the Celery settings described by the environment."""
    env = os.environ if environ is None else environ
    settings: dict[str, Any] = {
        "broker_url": env.get(BROKER_URL_ENV) or DEFAULT_BROKER_URL,
        # Keeps Celery 5.x from warning about the retry default changing in 6.0.
        "broker_connection_retry_on_startup": True,
    }
    backend = env.get(RESULT_BACKEND_ENV)
    if backend:
        settings["result_backend"] = backend
    raw = env.get(CONFIG_JSON_ENV)
    if raw:
        extra = json.loads(raw)
        if not isinstance(extra, dict):
            raise ValueError(f"{CONFIG_JSON_ENV} must hold a JSON object, got {type(extra).__name__}.")
        settings.update(extra)
    return settings


def records_url(broker_url: str, environ: Mapping[str, str] | None = None) -> str:
    """The Redis URL tasks.record writes to: the override variable, else the (first) broker URL."""
    env = os.environ if environ is None else environ
    override = env.get(RECORDS_URL_ENV)
    if override:
        return override
    # A failover list "url1;url2" is valid for kombu; the first entry is the primary.
    return broker_url.split(";", 1)[0]
