"""Revoke from PHP (issue 4): the broadcast Python sends, and what real workers do with it.

- the envelope and the channel match what Celery's app.control.revoke() publishes, for the
  default mailbox and with global_keyprefix / control_exchange / fanout_prefix settings;
- a task a worker holds for its ETA is discarded when its time comes, never runs, and reads
  REVOKED from PHP;
- terminate kills the process running a task on a prefork worker;
- a revoke addressed to one of two workers is ignored by the other.
"""

from __future__ import annotations

import base64
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

import databases
from control_capture import capture, php_client, run
from harness import CeleryWorker, Records, RedisServer, alive, received_log
from php_runner import PHP_SCRIPTS, run_php_script
from versions import WorkerVersions
from waiting import until
from wire import differences, normalize, wait_for_meta

CONTROL_DB = databases.CONTROL_CAPTURE
HOST = socket.gethostname()

CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "keyprefix": {"broker_transport_options": {"global_keyprefix": "pfx:"}},
    "control_exchange": {"control_exchange": "ctl"},
    "no_fanout_prefix": {"broker_transport_options": {"fanout_prefix": False}},
    "custom_fanout_prefix": {"broker_transport_options": {"fanout_prefix": "custom/{db}/"}},
}

# (Python app.control.revoke() keyword arguments, the PHP $celery->revoke() arguments)
CALLS: dict[str, tuple[dict[str, Any], str]] = {
    "one_id": ({"task_id": "d6f1c6de-7d8a-4a57-9a55-1f3c3a2b1c00"}, "'d6f1c6de-7d8a-4a57-9a55-1f3c3a2b1c00'"),
    "several_ids_terminate": (
        {"task_id": ["id-one", "id-two"], "terminate": True, "signal": "SIGKILL"},
        "['id-one', 'id-two'], terminate: true, signal: 'SIGKILL'",
    ),
    "destination": (
        {"task_id": "x", "destination": ["a@host", "b@host"], "signal": "KILL"},
        "'x', signal: 'KILL', destination: ['a@host', 'b@host']",
    ),
}


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("call", CALLS, ids=str)
def test_php_revoke_publishes_what_python_publishes(
    call: str, config: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    python_kwargs, php_arguments = CALLS[call]
    client = redis_server.client(CONTROL_DB)
    app = Celery("revoke-wire", set_as_current=False)
    app.conf.update(broker_url=redis_server.url(CONTROL_DB), broker_connection_retry_on_startup=True)
    app.conf.update(CONFIGS[config])
    try:
        python_channel, python_envelope = capture(client, lambda: app.control.revoke(**python_kwargs))
    finally:
        app.close()
    heard: list[int] = []
    php_channel, php_envelope = capture(
        client,
        lambda: heard.append(
            run(
                tmp_path,
                "revoke",
                php_client(redis_server.url(CONTROL_DB), config=CONFIGS[config])
                + f"echo json_encode($celery->revoke({php_arguments}));",
            )
        ),
    )
    client.close()

    assert php_channel == python_channel
    assert heard == [1]  # this test's subscription was the only listener
    now = time.time()
    for envelope in (python_envelope, php_envelope):
        # Lamport clock of a fresh publisher, and "now + 1 s" (only read on replies).
        assert envelope["headers"]["clock"] == 1
        assert now - 10 < envelope["headers"].pop("expires") < now + 2
    assert differences(normalize(python_envelope), normalize(php_envelope)) == []


def test_php_revoke_by_stamped_headers_publishes_what_python_publishes(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    client = redis_server.client(CONTROL_DB)
    app = Celery("revoke-wire", set_as_current=False)
    app.conf.update(broker_url=redis_server.url(CONTROL_DB), broker_connection_retry_on_startup=True)
    try:
        python_channel, python_envelope = capture(
            client,
            lambda: app.control.revoke_by_stamped_headers(
                {"batch": ["b-1", "b-2"], "tenant": "acme"}, terminate=True, signal="SIGKILL"
            ),
        )
    finally:
        app.close()
    php_channel, php_envelope = capture(
        client,
        lambda: run(
            tmp_path,
            "stamped",
            php_client(redis_server.url(CONTROL_DB)) + "echo json_encode($celery->revokeByStampedHeaders("
            "['batch' => ['b-1', 'b-2'], 'tenant' => 'acme'], terminate: true, signal: 'SIGKILL'));",
        ),
    )
    client.close()

    assert php_channel == python_channel
    for envelope in (python_envelope, php_envelope):
        envelope["headers"].pop("expires")
    assert differences(normalize(python_envelope), normalize(php_envelope)) == []


@pytest.mark.parametrize("config", ["default", "keyprefix", "control_exchange"])
def test_php_inspect_publishes_what_python_does(
    config: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    """celery inspect ping: the command with its ticket and reply_to, the same from PHP as from
    Python (no worker here: nobody replies; test_cli.py has workers that do)."""
    client = redis_server.client(CONTROL_DB)
    version = tuple(int(part) for part in client.info("server")["redis_version"].split(".")[:2])
    if version < (6, 2):
        client.close()
        pytest.skip("kombu 5.7's Python client binds its reply queue with ZADD GT, which needs Redis 6.2")
    client.flushdb()
    app = Celery("inspect-wire", set_as_current=False)
    app.conf.update(broker_url=redis_server.url(CONTROL_DB), broker_connection_retry_on_startup=True)
    app.conf.update(CONFIGS[config])
    try:
        python_channel, python_envelope = capture(client, lambda: app.control.inspect(timeout=0.2).ping())
    finally:
        app.close()
    client.flushdb()
    php_channel, php_envelope = capture(
        client,
        lambda: run(
            tmp_path,
            "inspect",
            php_client(redis_server.url(CONTROL_DB), config=CONFIGS[config])
            + "echo json_encode($celery->control()->inspect('ping', 0.2));",
        ),
    )
    php_left = client.keys("*")
    client.close()

    assert php_channel == python_channel
    for envelope in (python_envelope, php_envelope):
        envelope["headers"].pop("expires")
    assert differences(normalize(python_envelope), normalize(php_envelope)) == []
    reply_to = json.loads(base64.b64decode(php_envelope["body"]))["reply_to"]
    assert reply_to["exchange"] == "reply." + CONFIGS[config].get("control_exchange", "celery") + ".pidbox"
    # The reply queue and its binding are gone afterwards (as Python's auto-delete queue is).
    assert php_left == []


def test_channel_names(redis_server: RedisServer, tmp_path: Path) -> None:
    """The mailbox channel for each setting, as the workers PSUBSCRIBE it (db 12 here)."""
    channels = {}
    for config in CONFIGS:
        client = redis_server.client(CONTROL_DB)
        channels[config], _ = capture(
            client,
            lambda config=config: run(
                tmp_path,
                "channel",
                php_client(redis_server.url(CONTROL_DB), config=CONFIGS[config])
                + "echo json_encode($celery->revoke('x'));",
            ),
        )
        client.close()
    assert channels == {
        "default": "/12.celery.pidbox",
        "keyprefix": "pfx:/12.celery.pidbox",
        "control_exchange": "/12.ctl.pidbox",
        "no_fanout_prefix": "celery.pidbox",
        "custom_fanout_prefix": "custom/12/celery.pidbox",
    }


def sentinel_drain(records: Records, send_sentinel: Any) -> list[dict[str, Any]]:
    """Records that arrive before a sentinel task sent now (the worker runs its queue in order)."""
    send_sentinel()
    before = []
    while (record := records.pop()) and record["args"] != ["sentinel"]:
        before.append(record)
    return before


def test_revoked_eta_task_never_runs_and_reads_revoked(
    worker: CeleryWorker, run_php, records: Records
) -> None:
    mark = worker.mark()
    task_id = run_php.file("revoke.php", args=["send_eta"]).json()
    # The worker has taken the message and holds it until its ETA.
    worker.wait_for_log(received_log("tasks.record", task_id), since=mark)

    revoked = run_php.file("revoke.php", args=["revoke_held"], env={"CB_TASK_ID": task_id}).json()

    assert revoked[0] == 1  # the session worker is the only one on this broker
    assert revoked[1] == "REVOKED"
    assert task_id in revoked[2]
    # At its ETA the worker drops it instead of running it.
    worker.wait_for_log(rf"Discarding revoked task: tasks\.record\[{task_id}\]", timeout=10, since=mark)
    send = "$celery = new CeleryClient(broker: $brokerUrl);\n$celery->sendTask('tasks.record', ['sentinel']);"
    assert sentinel_drain(records, lambda: run_php(send)) == []


def test_tasks_stamped_with_a_revoked_value_never_run(
    worker: CeleryWorker, run_php, records: Records, worker_release: WorkerVersions
) -> None:
    """A batch stamped from PHP is revoked by its stamp: the worker drops the matching task it
    holds for its ETA and stores REVOKED; the task stamped with another value runs."""
    if not worker_release.stamping:
        pytest.skip("stamping exists from Celery 5.3")
    mark = worker.mark()
    ids = run_php.file("revoke.php", args=["send_stamped"]).json()
    for task_id in ids:
        worker.wait_for_log(received_log("tasks.record", task_id), since=mark)

    outcome = run_php.file("revoke.php", args=["revoke_stamped"], env={"CB_IDS": json.dumps(ids)}).json()

    assert outcome == [1, "revoked", ["b-2"]]
    assert [record["args"] for record in records.pop_many(1)] == [["b-2"]]
    send = "$celery = new CeleryClient(broker: $brokerUrl);\n$celery->sendTask('tasks.record', ['sentinel']);"
    assert sentinel_drain(records, lambda: run_php(send)) == []


def test_terminate_kills_the_running_task_on_a_prefork_worker(
    redis_factory, worker_factory, tmp_path: Path, worker_release: WorkerVersions
) -> None:
    server: RedisServer = redis_factory()
    prefork: CeleryWorker = worker_factory(
        server.url(databases.BROKER),
        server.url(databases.BACKEND),
        queues=["celery"],
        pool="prefork",
        concurrency=1,
        hostname="prefork@%h",
    )
    records = Records(server.client(databases.BROKER))
    client = php_client(server.url(databases.BROKER), server.url(databases.BACKEND))
    send = "echo json_encode($celery->sendTask('tasks.record_then_sleep', [60])->id);"
    task_id = run(tmp_path, "send", client + send)
    started = records.pop(timeout=15)
    assert started["request"]["id"] == task_id
    child = started["pid"]
    assert child != prefork.pid

    terminate = f"echo json_encode($celery->revoke('{task_id}', terminate: true, signal: 'SIGKILL'));"
    heard = run(tmp_path, "terminate", client + terminate)

    assert heard == 1
    meta = wait_for_meta(server.client(databases.BACKEND), task_id, timeout=15)
    assert meta["status"] == "REVOKED"
    assert meta["result"]["exc_type"] == "TaskRevokedError"
    reasons = ("terminated", "revoked") if worker_release.revoke_races_terminate else ("terminated",)
    assert any(reason in json.dumps(meta["result"]["exc_message"]) for reason in reasons)
    prefork.wait_for_log(rf"Terminating {task_id} \((9|Signals\.SIGKILL)\)")
    # The child that ran the task is gone (the pool reaps it and starts a new one).
    until(lambda: not alive(child), 10, f"the pool child {child} that ran the task to be gone")


def revoke_case(env: dict[str, str], case: str) -> Any:
    """Run a case of tests/php/revoke.php (without the run_php fixture's session URLs)."""
    result = run_php_script(PHP_SCRIPTS / "revoke.php", env, timeout=30, args=[case])
    assert result.returncode == 0 and result.stderr == "", result.describe()
    return result.json()


def test_revoke_addressed_to_one_worker_is_ignored_by_the_other(
    redis_factory, worker_factory, tmp_path: Path
) -> None:
    server: RedisServer = redis_factory()
    first: CeleryWorker = worker_factory(
        server.url(databases.BROKER),
        server.url(databases.BACKEND),
        queues=["first"],
        hostname=f"first@{HOST}",
    )
    second: CeleryWorker = worker_factory(
        server.url(databases.BROKER),
        server.url(databases.BACKEND),
        queues=["second"],
        hostname=f"second@{HOST}",
    )
    records = Records(server.client(databases.BROKER))
    mark = second.mark()
    urls = {
        "CELERY_BROKER_URL": server.url(databases.BROKER),
        "CELERY_RESULT_BACKEND": server.url(databases.BACKEND),
    }
    ids = revoke_case(urls, "send_to_second")
    kept, dropped = ids
    for task_id in ids:
        second.wait_for_log(received_log("tasks.record", task_id), since=mark)

    addressed = {**urls, "CB_KEPT": kept, "CB_DROPPED": dropped, "CB_HOST": HOST}
    heard = revoke_case(addressed, "revoke_addressed")

    assert heard == [2, 2]  # both workers hear every broadcast; only the addressee acts
    second.wait_for_log(rf"Discarding revoked task: tasks\.record\[{dropped}\]", since=mark)
    ran = records.pop(timeout=10)
    assert ran["args"] == ["kept"] and ran["request"]["id"] == kept
    first.wait_for_log(rf"Tasks flagged as revoked: {kept}")
    # The second worker handles broadcasts in order: it acted on the one addressed to it,
    # so it had already passed over the other.
    log = second.log_text()
    assert f"Tasks flagged as revoked: {dropped}" in log
    assert f"Tasks flagged as revoked: {kept}" not in log
    assert f"Discarding revoked task: tasks.record[{kept}]" not in log
