"""Issue 14: task-sent events (task_send_sent_event), as Celery's own client sends them, and
Flower showing a task sent from PHP before any worker has it, then its result."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

import databases
from harness import REPO_ROOT, CeleryWorker, RedisServer, free_port, gate_key, received_log
from waiting import until

EVENTS = "*celeryev*"


def collect(client: redis.Redis, send: Any, count: int = 1) -> list[tuple[str, dict[str, Any]]]:
    """Subscribes to every event channel, runs send(), returns (channel, envelope) of what came."""
    pubsub = client.pubsub()
    pubsub.psubscribe(EVENTS)
    # Subscribed once Redis confirms it: only then can nothing published be missed.
    while (confirmation := pubsub.get_message(timeout=10.0)) is None or confirmation["type"] != "psubscribe":
        pass
    try:
        send()
        got = []
        deadline = time.monotonic() + 10
        while len(got) < count and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=deadline - time.monotonic())
            if message and message["type"] == "pmessage":
                got.append((message["channel"].decode(), json.loads(message["data"])))
        return got
    finally:
        pubsub.close()


def body(envelope: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(envelope["body"]))


def test_the_task_sent_event_is_the_one_celery_sends(run_php, redis_server: RedisServer) -> None:
    broker = redis_server.client(databases.BROKER)
    app = Celery("events", broker=redis_server.url(databases.BROKER), set_as_current=False)
    app.conf.task_send_sent_event = True
    try:
        [(py_channel, py_envelope)] = collect(
            broker, lambda: app.send_task("tasks.add", [1, 2], {"k": "v"}, queue="events-q", countdown=60)
        )
    finally:
        app.close()
    sent: dict[str, str] = {}

    def php() -> None:
        sent["id"] = run_php(
            "$c = new CeleryClient($brokerUrl, config: ['task_send_sent_event' => true]);"
            "echo json_encode($c->sendTask('tasks.add', [1, 2], ['k' => 'v'],"
            " ['queue' => 'events-q', 'countdown' => 60])->id);"
        ).json()

    [(php_channel, php_envelope)] = collect(broker, php)
    broker.delete("events-q")

    assert php_channel == py_channel == "/0.celeryev/task.sent"
    assert list(php_envelope) == list(py_envelope)
    for key in ("content-encoding", "content-type"):
        assert php_envelope[key] == py_envelope[key]
    assert list(php_envelope["headers"]) == list(py_envelope["headers"]) == ["hostname"]
    py_properties = {**py_envelope["properties"], "delivery_tag": None}
    assert {**php_envelope["properties"], "delivery_tag": None} == py_properties
    py_event, php_event = body(py_envelope), body(php_envelope)
    assert list(php_event) == list(py_event)
    for key in ("name", "args", "kwargs", "retries", "queue", "exchange", "routing_key", "type", "parent_id",
                "expires", "utcoffset"):
        assert php_event[key] == py_event[key], key
    assert php_event["uuid"] == php_event["root_id"] == sent["id"]
    assert php_event["hostname"] == php_envelope["headers"]["hostname"]
    assert php_event["hostname"].startswith("php") and py_event["hostname"].startswith("gen")
    for key in ("pid", "clock"):
        assert type(php_event[key]) is type(py_event[key]) is int
    assert abs(php_event["timestamp"] - time.time()) < 30
    assert php_event["eta"] is not None and py_event["eta"] is not None


def test_send_many_sends_one_event_per_task_in_its_transaction(run_php, redis_server: RedisServer) -> None:
    broker = redis_server.client(databases.BROKER)
    sent: dict[str, list[str]] = {}
    code = (
        "use CeleryBridge\\Canvas\\Signature;"
        "$config = ['task_send_sent_event' => true, 'task_default_queue' => 'many-q'];"
        "$c = new CeleryClient($brokerUrl, config: $config);"
        "echo json_encode(array_map(fn ($r) => $r->id, $c->sendMany(array_map("
        "fn ($i) => new Signature('tasks.add', [$i, $i]), range(1, 3)))));"
    )
    before = broker.info("commandstats").get("cmdstat_exec", {}).get("calls", 0)

    got = collect(broker, lambda: sent.setdefault("ids", run_php(code).json()), count=3)

    broker.delete("many-q")
    assert [body(envelope)["uuid"] for _, envelope in got] == sent["ids"]
    assert [body(envelope)["clock"] for _, envelope in got] == [1, 2, 3]
    # Tasks and events: one MULTI/EXEC.
    assert broker.info("commandstats")["cmdstat_exec"]["calls"] == before + 1


def test_no_event_without_the_setting(run_php, redis_server: RedisServer) -> None:
    broker = redis_server.client(databases.BROKER)
    code = "(new CeleryClient($brokerUrl))->sendTask('tasks.add', [1, 2], [], ['queue' => 'quiet-q']);"

    def send() -> None:
        run_php(code)
        # Published after PHP's publish has returned: an event of PHP's would arrive first.
        broker.publish("/0.celeryev/marker", "{}")

    got = collect(broker, send)
    broker.delete("quiet-q")
    assert [channel for channel, _ in got] == ["/0.celeryev/marker"]


class Flower:
    """`celery -A python_worker flower` on a free loopback port, its API open (no auth)."""

    def __init__(self, broker_url: str, log: Path, broker: redis.Redis) -> None:
        self.port = free_port()
        patterns_before = int(broker.execute_command("PUBSUB", "NUMPAT"))
        env = {**os.environ, "CELERY_BROKER_URL": broker_url, "FLOWER_UNAUTHENTICATED_API": "true"}
        env.pop("CELERY_RESULT_BACKEND", None)
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "python_worker", "flower", "--address=127.0.0.1",
                 f"--port={self.port}"],
                cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.log = log
        self.wait(lambda: self.get("/healthcheck") == "OK", "Flower to answer")
        # Its event receiver PSUBSCRIBEs the celeryev channels some time after the API answers;
        # an event published before that is lost to it.
        self.wait(
            lambda: int(broker.execute_command("PUBSUB", "NUMPAT")) > patterns_before,
            "Flower to subscribe to the events",
        )

    def get(self, path: str) -> Any:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as reply:
                text = reply.read().decode()
        except OSError:
            return None
        return text if path == "/healthcheck" else json.loads(text)

    def task(self, task_id: str) -> dict[str, Any] | None:
        return (self.get("/api/tasks") or {}).get(task_id)

    def wait(self, condition: Any, what: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if self.process.poll() is not None:
                raise AssertionError(f"Flower exited:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def flower(redis_server: RedisServer, tmp_path: Path) -> Iterator[Flower]:
    broker = redis_server.client(databases.BROKER)
    server = Flower(redis_server.url(databases.BROKER), tmp_path / "flower.log", broker)
    try:
        yield server
    finally:
        server.stop()
        broker.close()


def test_flower_shows_a_php_task_before_a_worker_takes_it_then_its_result(
    flower: Flower, worker_factory, run_php, redis_server: RedisServer
) -> None:
    queue = f"flower-{uuid.uuid4().hex[:8]}"
    sent = run_php(
        f"$c = new CeleryClient($brokerUrl, $backendUrl, ['task_send_sent_event' => true]);"
        f"echo json_encode($c->sendTask('tasks.add', [1, 2], options: ['queue' => '{queue}'])->id);"
    ).json()

    # No worker consumes the queue yet: Flower knows the task from its task-sent event alone.
    before = flower.wait(lambda: flower.task(sent), "Flower to list the task")
    assert (before["name"], before["args"], before["kwargs"]) == ("tasks.add", "[1, 2]", "{}")
    assert before["state"] in ("PENDING", "SENT")
    assert before["client"].startswith("php")
    assert before["sent"] is not None and before["received"] is None
    assert before["routing_key"] == queue and before["root_id"] == sent

    worker: CeleryWorker = worker_factory(
        redis_server.url(databases.BROKER),
        redis_server.url(databases.BACKEND),
        queues=[queue],
        extra_args=["-E"],
    )
    worker.wait_for_log(received_log("tasks.add", sent))
    succeeded = lambda: (task := flower.task(sent)) and task["state"] == "SUCCESS" and task  # noqa: E731
    after = flower.wait(succeeded, "the task to succeed")
    assert after["result"] == "3"
    assert after["received"] is not None and after["client"] == before["client"]


def test_argsrepr_keeps_secrets_out_of_events_but_the_task_gets_them(
    worker: CeleryWorker, run_php, records, redis_server: RedisServer
) -> None:
    """Celery's argsrepr/kwargsrepr options: what logs, events and Flower show."""
    code = (
        "$c = new CeleryClient($brokerUrl, config: ['task_send_sent_event' => true]);"
        "$c->sendTask('tasks.record', ['s3cret'], ['token' => 't0ken'],"
        " options: ['argsrepr' => \"('***',)\", 'kwargsrepr' => \"{'token': '***'}\"]);"
    )
    [(_, envelope)] = collect(redis_server.client(databases.BROKER), lambda: run_php(code))

    event = body(envelope)
    assert (event["args"], event["kwargs"]) == ("('***',)", "{'token': '***'}")
    assert "s3cret" not in json.dumps(event) and "t0ken" not in json.dumps(event)
    record = records.pop()
    assert (record["args"], record["kwargs"]) == (["s3cret"], {"token": "t0ken"})


@pytest.mark.parametrize("client", ["phpredis", "predis"])
def test_client_name_on_every_connection(
    client: str, worker: CeleryWorker, run_php, redis_server: RedisServer
) -> None:
    """kombu's client_name transport option: CLIENT LIST shows the application on the broker,
    result backend and result-wait connections."""
    from concurrent.futures import ThreadPoolExecutor

    gate = gate_key()
    code = (
        r"if (!class_exists('Predis\Client')) {"
        r" require_once 'Predis/Autoloader.php'; Predis\Autoloader::register(); }"
        "$c = new CeleryClient($brokerUrl, $backendUrl, ['redis_client' => getenv('CB_CLIENT'),"
        " 'broker_transport_options' => ['client_name' => 'billing-php'],"
        " 'result_backend_transport_options' => ['client_name' => 'billing-php']]);"
        f"echo json_encode($c->sendTask('tasks.wait_for', ['{gate}'])->get(timeout: 20.0));"
    )
    waiting = ThreadPoolExecutor(1).submit(run_php, code, {"CB_CLIENT": client})
    server = redis_server.client(databases.BROKER)

    def named() -> list[dict[str, Any]]:
        return [c for c in server.client_list() if c.get("name") == "billing-php"]

    until(
        lambda: len(named()) >= 3 and any(int(c["sub"]) for c in named()),
        15,
        "three billing-php connections, one of them subscribed",
        ended=lambda: waiting.result().describe() if waiting.done() else None,
        interval=0.02,
    )
    connections = named()
    server.rpush(gate, "done")

    assert waiting.result(timeout=30).json() == "done"
    seen = sorted((int(c["db"]), int(c["sub"]) > 0) for c in connections)
    assert seen == [(0, False), (0, True), (1, False)]  # broker, result wait, result backend
