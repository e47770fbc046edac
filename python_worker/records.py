"""Events pushed by tasks to a Redis list, so tests can BLPOP them instead of sleeping."""

from __future__ import annotations

import json
import os
from typing import Any

import redis

from python_worker.config import records_url

RECORDS_KEY = "celerybridge:records"

_clients: dict[tuple[int, str], redis.Redis] = {}


def _client(url: str) -> redis.Redis:
    # One connection pool per process: prefork children must not share their parent's sockets.
    key = (os.getpid(), url)
    if key not in _clients:
        _clients[key] = redis.Redis.from_url(url)
    return _clients[key]


def push_record(broker_url: str, record: dict[str, Any]) -> None:
    """RPUSH record as JSON to RECORDS_KEY on the broker's Redis (plain key, no kombu prefix)."""
    url = records_url(broker_url)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(
            f"tasks.record can only write to a redis:// URL, got {url.split('://', 1)[0]}://; "
            "set CELERY_BRIDGE_RECORDS_URL."
        )
    _client(url).rpush(RECORDS_KEY, json.dumps(record))
