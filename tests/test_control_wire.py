"""Every control / inspect command from PHP publishes what Celery's app.control publishes (issue 30).

Each case calls one app.control method in Python and its PHP counterpart on another client
of the same Redis database, capturing the one message each publishes on the mailbox channel;
the envelopes must match (ids numbered by wire.normalize, the informational "expires" header
dropped). No worker listens here: test_control_commands.py has the workers that answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from celery import Celery

import databases
from control_capture import capture, php_client, run
from harness import RedisServer
from wire import differences, normalize

# name: (Python call on app.control, PHP call on $celery->control())
CONTROL: dict[str, tuple[Any, str]] = {
    "rate_limit": (
        lambda c: c.rate_limit("tasks.add", "10/m"),
        "rateLimit('tasks.add', '10/m', reply: false)",
    ),
    "rate_limit_to_one": (
        lambda c: c.rate_limit("tasks.add", 5, destination=["a@host"]),
        "rateLimit('tasks.add', 5, ['a@host'], reply: false)",
    ),
    "time_limit": (
        lambda c: c.time_limit("tasks.sleep", soft=10.5, hard=20.0),
        "timeLimit('tasks.sleep', 10.5, 20.0, reply: false)",
    ),
    "add_consumer": (
        lambda c: c.add_consumer("q1", exchange="ex", routing_key="rk"),
        "addConsumer('q1', 'ex', 'direct', 'rk', reply: false)",
    ),
    "cancel_consumer": (lambda c: c.cancel_consumer("q1"), "cancelConsumer('q1', reply: false)"),
    "enable_events": (lambda c: c.enable_events(), "enableEvents(reply: false)"),
    "disable_events": (lambda c: c.disable_events(), "disableEvents(reply: false)"),
    "pool_grow": (lambda c: c.pool_grow(2), "poolGrow(2, reply: false)"),
    "pool_shrink": (lambda c: c.pool_shrink(1), "poolShrink(1, reply: false)"),
    "autoscale": (lambda c: c.autoscale(8, 2), "autoscale(8, 2, reply: false)"),
    "pool_restart": (
        lambda c: c.pool_restart(modules=["tasks"], reload=True),
        "poolRestart(['tasks'], true, reply: false)",
    ),
    "shutdown": (lambda c: c.shutdown(), "shutdown()"),
    "heartbeat": (lambda c: c.heartbeat(), "heartbeat()"),
    "election": (lambda c: c.election("e-1", "topic", "act"), "election('e-1', 'topic', 'act')"),
}

# name: (Python call on app.control.inspect(timeout=0.2), PHP call with timeout 0.2)
INSPECT: dict[str, tuple[Any, str]] = {
    "active_safe": (lambda i: i.active(safe=True), "active(0.2, safe: true)"),
    "scheduled": (lambda i: i.scheduled(), "scheduled(0.2)"),
    "reserved": (lambda i: i.reserved(), "reserved(0.2)"),
    "revoked": (lambda i: i.revoked(), "revoked(0.2)"),
    "registered": (lambda i: i.registered("rate_limit"), "registered(['rate_limit'], 0.2)"),
    "stats": (lambda i: i.stats(), "stats(0.2)"),
    "conf": (lambda i: i.conf(with_defaults=True), "conf(true, 0.2)"),
    "query_task": (lambda i: i.query_task("id-1", "id-2"), "queryTask(['id-1', 'id-2'], 0.2)"),
    "active_queues": (lambda i: i.active_queues(), "activeQueues(0.2)"),
    "report": (lambda i: i.report(), "report(0.2)"),
    "clock": (lambda i: i.clock(), "clock(0.2)"),
    "memsample": (lambda i: i.memsample(), "memsample(0.2)"),
    "memdump": (lambda i: i.memdump(samples=5), "memdump(5, 0.2)"),
    "objgraph": (lambda i: i.objgraph(type="Request", n=5, max_depth=3), "objgraph('Request', 5, 3, 0.2)"),
}


def compare(redis_server: RedisServer, tmp_path: Path, python: Any, php: str) -> None:
    url = redis_server.url(databases.CONTROL_CAPTURE)
    client = redis_server.client(databases.CONTROL_CAPTURE)
    client.flushdb()
    app = Celery("control-wire", set_as_current=False)
    app.conf.update(broker_url=url, broker_connection_retry_on_startup=True)
    try:
        python_channel, python_envelope = capture(client, lambda: python(app))
    finally:
        app.close()
    client.flushdb()
    code = php_client(url) + f"$celery->control()->{php}; echo 1;"
    php_channel, php_envelope = capture(client, lambda: run(tmp_path, "control", code))
    client.flushdb()
    client.close()

    assert php_channel == python_channel
    for envelope in (python_envelope, php_envelope):
        envelope["headers"].pop("expires")
    assert differences(normalize(python_envelope), normalize(php_envelope)) == []


@pytest.mark.parametrize("case", CONTROL, ids=str)
def test_php_control_command_publishes_what_python_publishes(
    case: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    python, php = CONTROL[case]
    compare(redis_server, tmp_path, lambda app: python(app.control), php)


@pytest.mark.parametrize("case", INSPECT, ids=str)
def test_php_inspect_kind_publishes_what_python_publishes(
    case: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    python, php = INSPECT[case]
    compare(redis_server, tmp_path, lambda app: python(app.control.inspect(timeout=0.2)), php)
