"""Issue 27: the CLI (bin/celery-bridge) with an amqp:// broker, on both PHP AMQP libraries:
`send`, `queues` and `purge` (passive queue.declare, queue.purge), `workers ping` and
`workers active_queues` answered by a real worker through the pidbox exchanges, `revoke`, and
`events` reading a -E worker's heartbeats from a queue bound to the celeryev topic exchange."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from cli_runner import CLI, Run
from harness import RedisServer
from rabbitmq import RabbitMQServer

BACKEND_DB = 1


def _cli(config: Path, broker: str, *args: str, timeout: float = 30) -> Run:
    env = {"PATH": "/usr/bin:/bin", "CELERY_BROKER_URL": broker}
    done = subprocess.run(
        ["php", CLI, "--config", str(config), *args], capture_output=True, text=True, env=env, timeout=timeout
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("client", ["php-amqplib", "ext-amqp"])
def test_the_cli_over_amqp(
    client: str,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    amqp_worker_env,
    worker_factory,
    tmp_path: Path,
) -> None:
    config = tmp_path / "celeryconfig.json"
    config.write_text(json.dumps({"amqp_client": client}))
    broker = rabbitmq_server.url()
    worker_factory(
        broker,
        redis_server.url(BACKEND_DB),
        queues=["cli_amqp"],
        hostname="cliamqp@%h",
        extra_args=["-E"],
        env=amqp_worker_env,
    )
    node = f"cliamqp@{socket.gethostname()}"
    idle = f"cli_amqp_idle_{client.replace('-', '_')}"

    sent = [_cli(config, broker, "send", "tasks.add", "--args", "[1, 1]", "--queue", idle) for _ in range(2)]
    before = _cli(config, broker, "--json", "queues", idle, "cli_amqp_missing")
    purged = _cli(config, broker, "purge", idle, "--force")
    after = _cli(config, broker, "queues", idle)
    ping = _cli(config, broker, "--json", "workers", "ping", "--timeout", "3")
    queues = _cli(config, broker, "--json", "workers", "active_queues", "--destination", node)
    revoked = _cli(config, broker, "--json", "revoke", "cli-amqp-never-runs")
    # `events` in the background; each `workers control heartbeat` makes the worker (started without
    # its periodic heartbeat) send one now, until the stream has bound its queue and read one.
    watcher = subprocess.Popen(
        [
            "php",
            CLI,
            "--config",
            str(config),
            "--json",
            "events",
            "--type",
            "worker-heartbeat",
            "--count",
            "1",
            "--timeout",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "CELERY_BROKER_URL": broker},
    )
    try:
        for _ in range(20):
            assert _cli(config, broker, "workers", "control", "heartbeat").code == 0
            try:
                stdout, stderr = watcher.communicate(timeout=1)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            pytest.fail("no worker-heartbeat event came through `celery-bridge events`")
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    events = Run(watcher.returncode, stdout, stderr)

    assert [s.code for s in sent] == [0, 0], sent
    assert before.json() == {idle: 2, "cli_amqp_missing": 0}, before
    assert (purged.code, purged.stdout) == (0, f"{idle}: 2 purged\n"), purged
    assert after.stdout == f"{idle}: 0\n"
    assert ping.json() == {node: {"ok": "pong"}}, ping
    assert [q["name"] for q in queues.json()[node]] == ["cli_amqp"]
    # RabbitMQ tells whether any worker's mailbox queue got the revoke, not how many.
    assert revoked.json() == {"revoked": ["cli-amqp-never-runs"], "heard_by": 1}, revoked
    assert events.code == 0, events
    [heartbeat] = [json.loads(line) for line in events.stdout.splitlines()]
    assert (heartbeat["type"], heartbeat["hostname"]) == ("worker-heartbeat", node), events
    conn = rabbitmq_server.connection()
    try:
        conn.channel().queue_delete(idle)
    finally:
        conn.close()
