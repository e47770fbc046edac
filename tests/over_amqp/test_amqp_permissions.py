"""A RabbitMQ user without the permissions a publisher needs (configure to declare, write to
publish): RabbitMQ closes the channel with 403 ACCESS_REFUSED. That is the user's permissions,
not the topology: AuthenticationFailed saying so, nothing published."""

from __future__ import annotations

import pytest
from amqp_helpers import send, task

from harness import RedisServer
from rabbitmq import RabbitMQServer

CLIENTS = ["php-amqplib", "ext-amqp"]
USER, PASSWORD = "cb_limited", "cb_limited_pw"


@pytest.fixture(scope="module")
def limited_user(rabbitmq_server: RabbitMQServer) -> str:
    """A user that may read but neither configure nor write anything on "/"."""
    rabbitmq_server.ctl("add_user", USER, PASSWORD)
    rabbitmq_server.ctl("set_permissions", "-p", "/", USER, "^$", "^$", ".*")
    return f"amqp://{USER}:{PASSWORD}@127.0.0.1:{rabbitmq_server.port}//"


@pytest.mark.parametrize("client", CLIENTS)
def test_a_user_without_permissions_gets_authentication_failed_naming_them(
    client: str, limited_user: str, rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    [out] = send(run_php, rabbitmq_server, redis_server, [task()],
                 {"amqp_client": client, "task_default_queue": "amqp_permissions"}, broker=limited_user)

    assert out.get("error") == "CeleryBridge\\Exception\\AuthenticationFailed", out
    assert "permission refused" in out["message"] and "ACCESS_REFUSED" in out["message"], out
    assert PASSWORD not in out["message"]
