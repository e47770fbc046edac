"""Fixtures for the AMQP (RabbitMQ) tests.

Session-scoped, started only when a test asks for them:
    rabbitmq_server  one rabbitmq-server node on free loopback ports (tests/rabbitmq.py)
    amqp_celery      a Celery app publishing to that node, results in the session Redis (db 1)
Per test:
    raw_headers      py-amqp keeps each received message's raw content header (_raw_header)
    start_amqp_worker  starts a Celery worker on that node (its queues, then worker_factory's options)
    amqp_worker_env  the environment a worker on that node needs to write tasks.record events to
                     the session Redis (the `records` fixture reads them there)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import amqp.basic_message
import pytest
from celery import Celery

from harness import RedisServer
from lifecycle import running
from python_worker.config import settings_from_env
from rabbitmq import RabbitMQServer

BROKER_DB = 0
BACKEND_DB = 1


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[RabbitMQServer]:
    """One RabbitMQ node for the whole session (a cold start costs several seconds)."""
    server = RabbitMQServer()
    with running(server.start, server.stop):
        yield server


@pytest.fixture(scope="session")
def amqp_celery(rabbitmq_server: RabbitMQServer, redis_server: RedisServer) -> Iterator[Celery]:
    """A Celery app sending over the RabbitMQ node, with the session Redis as result backend."""
    app = Celery("harness-amqp", set_as_current=False)
    app.conf.update(
        settings_from_env(
            {
                "CELERY_BROKER_URL": rabbitmq_server.url(),
                "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
            }
        )
    )
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def amqp_worker_env(redis_server: RedisServer) -> dict[str, str | None]:
    """tasks.record writes to Redis only: point it at the session broker db the `records` fixture reads."""
    return {"CELERY_BRIDGE_RECORDS_URL": redis_server.url(BROKER_DB)}


@pytest.fixture
def start_amqp_worker(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    amqp_worker_env: dict[str, str | None],
    worker_factory,
) -> Callable[..., Any]:
    """start_amqp_worker(queues, hostname=..., config=..., extra_args=...): a worker on the RabbitMQ
    node consuming `queues`, results in the session Redis, tasks.record writing where `records` reads."""

    def start(queues: list[str], **options: Any) -> Any:
        return worker_factory(
            rabbitmq_server.url(), redis_server.url(BACKEND_DB), queues=queues, env=amqp_worker_env, **options
        )

    return start


@pytest.fixture
def raw_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeps the raw content header of every message py-amqp receives (message._raw_header)."""
    original = amqp.basic_message.Message.inbound_header

    def inbound_header(self: Any, buf: Any, offset: int = 0) -> int:
        self._raw_header = bytes(buf[offset:])
        return original(self, buf, offset)

    monkeypatch.setattr(amqp.basic_message.Message, "inbound_header", inbound_header)
