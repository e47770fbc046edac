"""`bin/celery-bridge` as an operator runs it: subprocesses against real Redis and workers,
checking stdout, --json output and exit codes (0 ok, 1 task failed or revoked, 2 usage,
3 connection, 4 timeout)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

import databases
from cli_runner import cli
from harness import CeleryWorker, Records, RedisServer, free_port, received_log


@pytest.fixture
def urls(redis_server: RedisServer) -> dict[str, str]:
    return {"broker": redis_server.url(databases.BROKER), "backend": redis_server.url(databases.BACKEND)}


def test_send_and_wait_prints_the_id_and_the_result(worker: CeleryWorker, urls) -> None:
    text = cli("send", "tasks.add", "--args", "[2, 3]", "--wait", "10", **urls)
    as_json = cli("--json", "send", "tasks.add", "--args", "[4, 5]", "--wait", **urls)

    task_id, *rest = text.stdout.splitlines()
    assert text.code == 0 and len(task_id) == 36
    assert rest[:2] == ["state: SUCCESS", "result: 5"] and rest[2].startswith("date_done: ")
    assert as_json.code == 0
    assert {k: as_json.json()[k] for k in ("state", "result", "exception")} == {
        "state": "SUCCESS",
        "result": 9,
        "exception": None,
    }


def test_kwargs_countdown_and_eta_reach_the_worker(worker: CeleryWorker, urls) -> None:
    later = cli(
        "--json",
        "send",
        "tasks.add",
        "--kwargs",
        '{"x": 2, "y": 5}',
        "--countdown",
        "1",
        "--wait",
        "10",
        **urls,
    )
    eta = cli(
        "--json",
        "send",
        "tasks.add",
        "--args",
        "[1, 1]",
        "--eta",
        "2001-01-01T00:00:00+00:00",
        "--wait",
        **urls,
    )

    assert (later.code, later.json()["result"]) == (0, 7)
    assert (eta.code, eta.json()["result"]) == (0, 2)  # an ETA in the past runs at once


def test_a_failed_task_exits_1_with_its_exception_and_traceback(worker: CeleryWorker, urls) -> None:
    sent = cli("--json", "send", "tasks.fail", "--args", '["boom-cli"]', "--wait", "10", **urls)
    again = cli("result", sent.json()["id"], **urls)

    assert sent.code == 1
    assert sent.json()["exception"] == {"type": "ValueError", "message": "boom-cli"}
    assert "Traceback" in sent.json()["traceback"]
    assert again.code == 1
    assert again.stdout.splitlines()[:2] == ["state: FAILURE", "exception: ValueError: boom-cli"]


def test_result_of_a_task_nobody_ran_is_pending_and_waiting_times_out(urls) -> None:
    unknown = "5a1b2c3d-0000-4000-8000-000000000000"
    now = cli("--json", "result", unknown, **urls)
    waited = cli("result", unknown, "--wait", "0.3", **urls)

    assert now.code == 0 and now.json()["state"] == "PENDING"
    assert waited.code == 4 and "celery-bridge:" in waited.stderr


def test_a_revoked_task_reads_revoked(worker: CeleryWorker, urls) -> None:
    mark = worker.mark()
    task_id = cli("send", "tasks.add", "--args", "[1, 1]", "--countdown", "3", **urls).stdout.strip()
    worker.wait_for_log(received_log("tasks.add", task_id), since=mark)

    revoked = cli("--json", "revoke", task_id, **urls)
    result = cli("--json", "result", task_id, "--wait", "10", **urls)

    assert revoked.code == 0 and revoked.json() == {"revoked": [task_id], "heard_by": 1}
    assert result.code == 1 and result.json()["state"] == "REVOKED"


def test_queues_and_purge(urls) -> None:
    for _ in range(2):
        assert (
            cli(
                "send", "tasks.add", "--args", "[1, 1]", "--queue", "cli-nobody", "--priority", "7", **urls
            ).code
            == 0
        )

    before = cli("--json", "queues", "cli-nobody", "cli-empty", **urls)
    refused = cli("purge", "cli-nobody", **urls)
    purged = cli("purge", "cli-nobody", "--force", **urls)
    after = cli("queues", "cli-nobody", **urls)

    assert before.json() == {"cli-nobody": 2, "cli-empty": 0}
    assert refused.code == 2 and "--force" in refused.stderr
    assert (purged.code, purged.stdout) == (0, "cli-nobody: 2 purged\n")
    assert after.stdout == "cli-nobody: 0\n"


def test_workers_ping_and_inspect_two_workers(
    worker: CeleryWorker, worker_factory, redis_server, urls
) -> None:
    reports = worker_factory(urls["broker"], urls["backend"], queues=["reports"], hostname="reports@%h")
    host = socket.gethostname()
    nodes = {f"reports@{host}"}

    ping = cli("--json", "workers", "ping", "--timeout", "2", **urls)
    one = cli("--json", "workers", "ping", "--destination", f"reports@{host}", "--timeout", "5", **urls)
    registered = cli("--json", "workers", "registered", "--destination", f"reports@{host}", **urls)
    queues = cli("--json", "workers", "active_queues", "--destination", f"reports@{host}", **urls)

    assert ping.code == 0
    assert nodes < set(ping.json()) and all(reply == {"ok": "pong"} for reply in ping.json().values())
    assert len(ping.json()) == 2  # the session worker and this one
    assert one.json() == {f"reports@{host}": {"ok": "pong"}}
    assert "tasks.add" in registered.json()[f"reports@{host}"]
    assert [q["name"] for q in queues.json()[f"reports@{host}"]] == ["reports"]
    assert reports.running


def test_no_worker_bad_urls_and_usage(redis_factory, tmp_path: Path) -> None:
    server = redis_factory()
    lonely = cli("--json", "workers", "ping", "--timeout", "0.5", broker=server.url(databases.BROKER))
    refused = cli("queues", broker=f"redis://127.0.0.1:{free_port()}/0")
    bad_url = cli("queues", broker="redis://:secret-pw@localhost:6379/not-a-db")
    no_broker = cli("queues", broker=None)
    unknown = cli("frobnicate", broker=server.url(databases.BROKER))
    bad_option = cli("queues", "--colour", "red", broker=server.url(databases.BROKER))
    bad_args = cli("send", "tasks.add", "--args", '{"x": 1}', broker=server.url(databases.BROKER))
    bad_priority = cli("send", "tasks.add", "--priority", "7.5", broker=server.url(databases.BROKER))

    assert (lonely.code, lonely.stdout) == (4, "")  # one JSON document: the error
    assert json.loads(lonely.stderr)["error"] == "timeout"
    assert refused.code == 3 and "refused" in refused.stderr
    assert bad_url.code == 2 and "secret-pw" not in bad_url.stderr and "****" in bad_url.stderr
    assert no_broker.code == 2 and "CELERY_BROKER_URL" in no_broker.stderr
    assert unknown.code == 2 and 'unknown command "frobnicate"' in unknown.stderr
    assert bad_option.code == 2 and "--colour" in bad_option.stderr
    assert bad_args.code == 2 and "JSON array" in bad_args.stderr
    assert bad_priority.code == 2 and "whole number" in bad_priority.stderr
    assert server.client(databases.BROKER).llen("celery") == 0  # nothing was sent by the refused commands


def test_config_files_and_help(redis_factory, tmp_path: Path) -> None:
    server = redis_factory()
    as_json = tmp_path / "celeryconfig.json"
    broker = server.url(databases.BROKER)
    as_json.write_text(json.dumps({"broker_url": broker, "task_default_queue": "from-json"}))
    as_php = tmp_path / "celeryconfig.php"
    as_php.write_text(f"<?php\nreturn ['broker_url' => '{broker}', 'task_default_queue' => 'from-php'];\n")

    sent = cli("send", "tasks.add", "--config", str(as_json), broker=None)
    counted = cli("--json", "queues", "--config", str(as_json), broker=None)
    php_counted = cli("--config", str(as_php), "--json", "queues", broker=None)
    helps = {
        command: cli(command, "--help", broker=None)
        for command in ("send", "result", "revoke", "queues", "purge", "workers")
    }
    overview = cli(broker=None)

    assert sent.code == 0
    assert counted.json() == {"from-json": 1}
    assert php_counted.json() == {"from-php": 0}
    assert all(
        run.code == 0 and run.stdout.startswith(f"Usage: celery-bridge {name}") for name, run in helps.items()
    )
    assert overview.code == 2 and "Commands:" in overview.stdout


def test_ping_with_a_global_keyprefix_another_control_exchange_and_separator(
    redis_factory, worker_factory, tmp_path: Path
) -> None:
    server = redis_factory()
    # kombu's sep joins the parts of a binding too: the workers find the reply queue through one.
    transport = {"global_keyprefix": "pfx:", "sep": ":"}
    settings = {"broker_transport_options": transport, "control_exchange": "ctl"}
    worker_factory(server.url(databases.BROKER), config=settings, hostname="prefixed@%h")
    config = tmp_path / "celeryconfig.json"
    config.write_text(json.dumps({"broker_url": server.url(databases.BROKER), **settings}))

    ping = cli("--json", "workers", "ping", "--config", str(config), "--timeout", "3", broker=None)

    assert ping.json() == {f"prefixed@{socket.gethostname()}": {"ok": "pong"}}
    assert server.client(databases.BROKER).keys("*reply*") == []


def test_json_arguments_reach_the_worker_exactly(worker: CeleryWorker, urls, records: Records) -> None:
    """Objects stay dicts (also {"0": ...} and {}), integers beyond 64 bits stay exact ints."""
    args = '[{"0": "a"}, {}, 12345678901234567890, -98765432109876543210987, [], 1.5, {"": {"1": []}}, -0]'
    kwargs = '{"opts": {}, "n": 340282366920938463463374607431768211456, "x": {"9": 9}}'
    numeric = '{"0": 1, "12": {"5": {}}}'

    sent = cli("--json", "send", "tasks.record", "--args", args, "--kwargs", kwargs, **urls)
    named = cli("--json", "send", "tasks.record", "--kwargs", numeric, **urls)
    first, second = records.pop_many(2)

    assert sent.code == 0 and named.code == 0, sent.stderr + named.stderr
    assert (first["args"], first["kwargs"]) == (json.loads(args), json.loads(kwargs))
    assert first["arg_types"][:3] == [{"dict": {"0": "str"}}, {"dict": {}}, "int"]
    assert first["kwarg_types"]["opts"] == {"dict": {}} and first["kwarg_types"]["n"] == "int"
    assert (second["args"], second["kwargs"]) == ([], json.loads(numeric))


def test_send_checks_everything_before_sending(redis_factory, tmp_path: Path) -> None:
    """A refused send has queued nothing (a script would retry it and run the task twice)."""
    server = redis_factory()
    broker = server.url(databases.BROKER)
    negative = cli("send", "tasks.add", "--wait", "-1", broker=broker, backend=server.url(databases.BACKEND))
    no_backend = cli("--json", "send", "tasks.add", "--wait", "5", broker=broker)
    empty_backend = cli("send", "tasks.add", "--backend", "", "--wait", broker=broker)
    empty_broker = cli("queues", "--broker", "", broker=None)
    python_config = tmp_path / "celeryconfig.py"
    python_config.write_text(f'broker_url = "{broker}"\n')
    python = cli("queues", "--config", str(python_config), broker=None)

    assert negative.code == 2 and "--wait expects" in negative.stderr
    assert no_backend.code == 2 and json.loads(no_backend.stderr)["error"] == "usage"
    assert "needs a result backend" in no_backend.stderr and "Nothing was sent" in no_backend.stderr
    assert empty_backend.code == 2 and "--backend is empty" in empty_backend.stderr
    assert empty_broker.code == 2 and "--broker is empty" in empty_broker.stderr
    assert python.code == 2 and "is Python, which celery-bridge does not read" in python.stderr
    assert "json.dumps" in python.stderr and "celeryconfig.json" in python.stderr
    assert server.client(databases.BROKER).keys("*") == []


def test_a_json_timeout_names_the_task(redis_factory) -> None:
    server = redis_factory()
    urls = {"broker": server.url(databases.BROKER), "backend": server.url(databases.BACKEND)}
    sent = cli("--json", "send", "tasks.add", "--queue", "cli-nobody-listens", "--wait", "0.2", **urls)
    waited = cli("--json", "result", "5a1b2c3d-0000-4000-8000-00000000abcd", "--wait", "0.2", **urls)

    error = json.loads(sent.stderr)
    assert sent.code == 4 and error["error"] == "timeout" and len(error["id"]) == 36
    assert sent.stdout == ""
    assert waited.code == 4 and json.loads(waited.stderr)["id"] == "5a1b2c3d-0000-4000-8000-00000000abcd"


def test_a_json_publish_failure_names_the_task_and_empty_kwargs_may_be_a_list() -> None:
    refused = cli(
        "--json", "send", "tasks.add", "--kwargs", "[]", broker=f"redis://127.0.0.1:{free_port()}/0"
    )

    error = json.loads(refused.stderr)
    assert refused.code == 3 and error["error"] == "connection"
    assert len(error["id"]) == 36 and error["id"] in error["message"]


def test_result_prints_stored_values_faithfully_and_safely(redis_factory) -> None:
    """NaN, bytes that are not UTF-8, datetimes and terminal escapes as a worker (or anyone with
    access to Redis) stored them; a result that is not Celery's format exits 5, not 2."""
    server = redis_factory()
    urls = {"broker": server.url(databases.BROKER), "backend": server.url(databases.BACKEND)}
    backend = server.client(databases.BACKEND)
    escape = "\x1b]0;pwned\x07\x1b[31m\u009b2J"
    quoted = escape.replace("\x1b", "\\u001b").replace("\x07", "\\u0007").replace("\u009b", "\\u009b")
    stored = {
        "nan": '{"status": "SUCCESS", "result": [NaN, -Infinity, '
        '{"__type__": "base64", "__value__": "/wBh"}, '
        '{"__type__": "datetime", "__value__": "2026-01-02T03:04:05+00:30:32"}, "' + quoted + '"], '
        '"traceback": null, "children": [], "date_done": "2026-01-02T03:04:05.000000+00:00", '
        '"task_id": "nan"}',
        "fail": json.dumps(
            {
                "status": "FAILURE",
                "result": {"exc_type": "ValueError", "exc_message": [escape], "exc_module": "builtins"},
                "traceback": "Traceback (most recent call last):\n  " + escape + "\nValueError",
                "children": [],
                "date_done": None,
                "task_id": "fail",
            }
        ),
        "corrupt": '{"status": "SUCCESS", "result": [1, 2',
    }
    for task_id, meta in stored.items():
        backend.set(f"celery-task-meta-{task_id}", meta)

    plain = cli("result", "nan", **urls)
    as_json = cli("--json", "result", "nan", **urls)
    failed = cli("result", "fail", **urls)
    failed_json = cli("--json", "result", "fail", **urls)
    corrupt = cli("--json", "result", "corrupt", **urls)

    assert plain.code == 0
    assert plain.stdout.splitlines()[1] == (
        'result: [NaN,-Infinity,{"__type__":"base64","__value__":"/wBh"},"2026-01-02T03:04:05+00:30:32",'
        '"\\u001b]0;pwned\\u0007\\u001b[31m\\u009b2J"]'
    )
    assert as_json.code == 0 and '"result":[NaN,-Infinity,' in as_json.stdout
    assert failed.code == 1 and failed_json.code == 1
    assert failed_json.json()["exception"]["message"] == escape  # escaped in JSON, exact once parsed
    for output in (plain, as_json, failed, failed_json, corrupt):
        shown = output.stdout + output.stderr
        assert "\x1b" not in shown and "\x07" not in shown and "\u009b" not in shown
    assert "\\x1b]0;pwned\\x07" in failed.stdout
    assert corrupt.code == 5 and json.loads(corrupt.stderr)["error"] == "unreadable_result"
    assert json.loads(corrupt.stderr)["id"] == "corrupt"
