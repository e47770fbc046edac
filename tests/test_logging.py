"""Issue 14: the client's PSR-3 logger (Debian's php-psr-log here): what it is told, and never
an argument or a password."""

from __future__ import annotations

import json
from urllib.parse import quote

import databases
from faults import FaultProxy
from harness import RedisServer, free_port

PASSWORD = "pa55:w/rd@log"

def run(run_php, broker: str, config: dict | None = None) -> dict:
    env = {"CB_BROKER": broker, "CB_CONFIG": json.dumps(config or {})}
    return run_php.file("logging_publish.php", env=env).json()


def assert_nothing_secret(out: dict) -> None:
    text = json.dumps(out["records"])
    for secret in ("SECRET-ARG", "SECRET-KWARG", PASSWORD, quote(PASSWORD, safe="")):
        assert secret not in text


def test_each_published_task_is_logged_without_arguments_or_password(run_php, redis_factory) -> None:
    server: RedisServer = redis_factory(password=PASSWORD)
    broker = f"redis://:{quote(PASSWORD, safe='')}@127.0.0.1:{server.port}/0"

    out = run(run_php, broker)

    assert [r["level"] for r in out["records"]] == ["debug"] * 3
    assert [r["context"] for r in out["records"]] == [
        {"task_id": out["ids"][0], "task": "tasks.add", "queue": "celery"},
        {"task_id": out["ids"][1], "task": "tasks.add", "queue": "celery"},
        {"task_id": out["ids"][2], "task": "tasks.mul", "queue": "other"},
    ]
    assert "{task}" in out["records"][0]["message"]  # PSR-3 placeholders, filled by the logger
    assert_nothing_secret(out)


def test_retries_are_warnings(run_php) -> None:
    refused = f"redis://:{quote(PASSWORD, safe='')}@127.0.0.1:{free_port()}/0"

    out = run(run_php, refused, {"task_publish_retry_policy": {"max_retries": 2, "interval_start": 0}})

    assert out["error"] == "ConnectionRefused"
    warnings = [r for r in out["records"] if r["level"] == "warning"]
    # Celery's retry delays: interval_start, then + interval_step (0.2 s by default).
    assert [(w["context"]["attempt"], w["context"]["delay"]) for w in warnings] == [(1, 0), (2, 0.2)]
    assert all("refused" in w["context"]["error"] for w in warnings)
    assert [r["level"] for r in out["records"]] == ["warning", "warning"]
    assert_nothing_secret(out)


def test_an_unknown_outcome_is_an_error_naming_the_task(run_php, redis_server: RedisServer) -> None:
    proxy = FaultProxy(redis_server.port, "drop_reply")
    try:
        out = run(run_php, f"redis://127.0.0.1:{proxy.port}/0")
    finally:
        proxy.close()
    redis_server.client(databases.BROKER).delete("celery")

    assert out["error"] == "PublishOutcomeUnknown"
    [error] = [r for r in out["records"] if r["level"] == "error"]
    assert error["context"]["task_ids"] == out["uncertain"] and len(out["uncertain"]) == 1
    assert_nothing_secret(out)


def test_kwargs_named_like_options_in_a_call_without_options_get_a_debug_line(
    run_php, redis_server: RedisServer
) -> None:
    """sendTask($name, $args, ['countdown' => 1]) puts the option into kwargs: the worker would call
    add(10, 20, countdown=1). Only a debug line (a task may take a keyword named queue)."""
    out = run_php.file("logging_kwargs.php").json()
    redis_server.client(databases.BROKER).delete("celery", "q")

    noted = [r for r in out["records"] if "option names" in r["message"]]
    assert len(noted) == 1
    assert noted[0]["level"] == "debug"
    assert noted[0]["context"] == {"task": "tasks.add", "keys": "countdown, queue"}
    assert "options: [...]" in noted[0]["message"]
    # The published lines are there for all three; nothing else (no warning) was logged.
    assert [r["level"] for r in out["records"]] == ["debug"] * 4
    assert "SECRET-KWARG" not in json.dumps(out["records"])


def test_retry_and_retry_policy_per_call_as_celerys_apply_async(run_php) -> None:
    """apply_async(retry=False) publishes once; retry_policy= is laid over
    task_publish_retry_policy for that call only; retry=True retries despite task_publish_retry=False."""
    refused = f"redis://127.0.0.1:{free_port()}/0"
    configured = {"task_publish_retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.01}}
    calls = [
        {},
        {"retry": False},
        {"retry_policy": {"max_retries": 1}},
        {"retry_policy": {"interval_start": 0.02}},
    ]

    env = {"CB_BROKER": refused, "CB_CONFIG": json.dumps(configured), "CB_CALLS": json.dumps(calls)}
    out = run_php.file("logging_retry.php", env=env).json()

    assert [o["error"] for o in out] == ["ConnectionRefused"] * 4
    assert out[0]["retries"] == [[1, 0], [2, 0.01]]
    assert out[1]["retries"] == []
    assert out[2]["retries"] == [[1, 0]]
    assert out[3]["retries"] == [[1, 0.02], [2, 0.03]]

    off = {"task_publish_retry": False, "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0}}
    env = {"CB_BROKER": refused, "CB_CONFIG": json.dumps(off), "CB_CALLS": json.dumps([{}, {"retry": True}])}
    out = run_php.file("logging_retry.php", env=env).json()

    assert [o["retries"] for o in out] == [[], [[1, 0]]]
