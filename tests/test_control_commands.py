"""Every remote-control command of `celery control` / `celery inspect` from PHP (issue 30, item 2).

A prefork worker of its own (broker db 5, results db 6, so its mailbox "/5.celery.pidbox" is
not the session worker's) answers each command; the effect is checked on the worker itself
(its registered task attributes, its queues, its pool size, a task it then runs or kills).
It runs without worker_pool_restarts and without --autoscale, so it refuses pool_restart and
autoscale, and without the objgraph library: those replies are errors. A worker with
worker_enable_remote_control = False never answers: the commands end at their timeout with
no reply, as does one addressed to a node that does not exist.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

import databases
from cli_runner import cli
from harness import CeleryWorker, RedisServer
from waiting import until

BROKER_DB, BACKEND_DB = databases.CONTROL_BROKER, databases.CONTROL_BACKEND


class HeartbeatWorker(CeleryWorker):
    """A worker with its heartbeat on (the harness turns it off), so that it has an event
    dispatcher for worker events only: enable_events / disable_events then switch task events
    (with -E every group is on and neither command changes anything; with no events at all the
    worker answers "event dispatcher unavailable")."""

    def command(self) -> list[str]:
        return [arg for arg in super().command() if arg != "--without-heartbeat"]


@pytest.fixture(scope="module")
def control_worker(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """A prefork worker (1 process) on db 5 consuming "celery"; killed at the end of the module."""
    for db in (BROKER_DB, BACKEND_DB):
        redis_server.client(db).flushdb()
    worker = HeartbeatWorker(
        tmp_path_factory.mktemp("control-worker") / "worker.log",
        broker_url=redis_server.url(BROKER_DB),
        backend_url=redis_server.url(BACKEND_DB),
        pool="prefork",
        hostname="ctl@%h",
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.kill()


@pytest.fixture
def ctl(redis_server: RedisServer, run_php, control_worker: CeleryWorker):
    """ctl(code) runs PHP with $celery on the control worker's dbs and $node its name; JSON out."""
    node = control_worker.wait_for_log(r"celery@|ctl@\S+").group(0)

    def run(code: str, timeout: float = 60) -> Any:
        script = f"$node = {json.dumps(node)};\n"
        script += "$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);\n"
        env = {
            "CELERY_BROKER_URL": redis_server.url(BROKER_DB),
            "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
        }
        return run_php(script + code, env=env, timeout=timeout).json()

    def case(name: str, timeout: float = 60) -> Any:
        """Run one case of tests/php/control_commands.php against the control worker."""
        env = {
            "CELERY_BROKER_URL": redis_server.url(BROKER_DB),
            "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
            "CB_NODE": node,
        }
        return run_php.file("control_commands.php", env=env, timeout=timeout, args=[name]).json()

    run.node = node  # type: ignore[attr-defined]
    run.case = case  # type: ignore[attr-defined]
    return run


def replies(out: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    return {node: (reply["ok"], reply["message"]) for node, reply in out.items()}


def test_rate_limit_and_time_limit_change_the_task_on_the_worker(ctl) -> None:
    out = ctl.case("rate_and_time_limit")
    node = ctl.node
    assert replies(out[0]) == {node: (True, "new rate limit set successfully")}
    assert replies(out[1]) == {node: (True, "time limits set successfully")}
    registered = out[2][node]
    assert "tasks.add [rate_limit=10/m]" in registered
    assert "tasks.sleep [soft_time_limit=1.0 time_limit=2.5]" in registered
    # The worker refuses what it cannot do: an error reply, not an exception.
    assert replies(out[3]) == {node: (False, "unknown task")}

    # Celery 5 workers build each task's request class with its time limits when they start, so
    # the new limits show in the task's attributes (above) but only reach tasks after a restart.
    ctl("$celery->control()->timeLimit('tasks.sleep', destination: [$node]); echo 1;")


def test_add_and_cancel_consumer(ctl) -> None:
    out = ctl.case("add_and_cancel_consumer")
    added, value, queues, cancelled, after = out
    assert replies(added) == {ctl.node: (True, "add consumer ctl-extra")}
    assert value == 42
    assert sorted(queues) == ["celery", "ctl-extra"]
    assert replies(cancelled) == {ctl.node: (True, "no longer consuming from ctl-extra")}
    assert after == ["celery"]


def test_pool_grow_and_shrink_change_the_process_count(ctl) -> None:
    out = ctl.case("pool_grow_and_shrink")
    before, grown, during, shrunk, after = out
    assert (before, during, after) == (1, 2, 1)
    assert replies(grown) == {ctl.node: (True, "pool will grow")}
    assert replies(shrunk) == {ctl.node: (True, "pool will shrink")}


def test_disabled_commands_answer_with_an_error(ctl) -> None:
    """pool_restart (worker_pool_restarts off), autoscale (no --autoscale), an unknown command."""
    out = ctl.case("disabled_commands")
    restart, autoscale, unknown, objgraph = out
    assert replies(restart) == {ctl.node: (False, "ValueError('Pool restarts not enabled')")}
    assert replies(autoscale) == {ctl.node: (False, "ValueError('Autoscale not enabled')")}
    assert unknown == {ctl.node: {"error": "KeyError('no_such_command')"}}
    assert objgraph == {ctl.node: {"error": "ImportError('Requires the objgraph library')"}}


def test_events_can_be_switched_on_and_off(ctl) -> None:
    out = ctl.case("events_on_and_off")
    assert [replies(r)[ctl.node] for r in out] == [
        (True, "task events enabled"),
        (True, "task events already enabled"),
        (True, "task events disabled"),
    ]


def test_inspect_every_kind(ctl, redis_server: RedisServer) -> None:
    """active (typed), scheduled, reserved, revoked, query_task, stats, conf, report, clock, mem*."""
    out = ctl.case("inspect_every_kind")
    node = ctl.node
    task_id, name, args, args_repr, worker, started, running_id = out["active"]
    assert (task_id, name, args, args_repr, worker) == (running_id, "tasks.sleep", [3], "[3]", node)
    assert abs(float(started) - time.time()) < 60
    assert out["scheduled"] == [[out["later"], True]]
    assert out["query"] == {running_id: ["active", "tasks.sleep"], out["later"]: ["scheduled", "tasks.add"]}
    assert out["later"] in out["revoked"]
    assert out["clock"] > 0
    assert "celery:" in out["report"] and "kombu:" in out["report"]
    assert "task_default_queue" in out["conf"], out["conf"]
    assert out["stats"] == 1
    assert out["kinds"] == {kind: [node] for kind in out["kinds"]}
    assert len(out["kinds"]) == 14


def test_commands_end_at_their_timeout_when_nobody_answers(
    ctl, redis_server: RedisServer, worker_factory, run_php
) -> None:
    """A worker with remote control disabled, and a node that does not exist: no reply, in time."""
    deaf_url = redis_server.url(databases.CONTROL_DEAF)
    worker_factory(deaf_url, config={"worker_enable_remote_control": False}, hostname="deaf@%h")
    deaf = run_php.file(
        "control_commands.php",
        env={"CELERY_BROKER_URL": deaf_url, "CELERY_RESULT_BACKEND": None},
        args=["nobody_answers"],
    ).json()
    ping, rate, took = deaf
    assert ping == [] and rate == []
    # Each waits out its second, less a tenth for the clean-up and the 0.11 s a late BRPOP
    # answer may take (ReplyQueue::LATE).
    assert 1.5 <= took < 15

    missing = ctl(
        "$t = microtime(true); $r = $celery->control()->inspect('stats', 1.0, ['nobody@nowhere']);"
        " echo json_encode([$r, microtime(true) - $t]);"
    )
    assert missing[0] == [] and 0.75 <= missing[1] < 15


def test_calls_that_wait_out_their_timeout_return_the_replies_on_a_reused_client(ctl) -> None:
    """Redis answers a BRPOP whose time ran out on its next cron tick (up to 100 ms late): a
    ping()/inspect() that waits out its timeout returns the replies it collected, call after
    call on one client, and never a ConnectionTimedOut (half of them threw one)."""
    out = ctl(
        """
$c = $celery->control();
$seen = [];
for ($i = 0; $i < 12; $i++) {
    try {
        $seen[] = [array_keys($c->ping(timeout: 0.5)), array_keys($c->inspect('active', 0.5))];
    } catch (CeleryBridge\\Exception\\CeleryBridgeException $e) {
        $seen[] = get_class($e) . ': ' . $e->getMessage();
    }
}
echo json_encode($seen);
"""
    )
    assert out == [[[ctl.node], [ctl.node]]] * 12


def test_limit_election_and_shutdown(redis_server: RedisServer, worker_factory, run_php) -> None:
    """limit stops at the first replies; election reaches every worker; shutdown stops only its node."""
    redis_server.client(databases.CONTROL_PAIR).flushdb()
    first = worker_factory(redis_server.url(databases.CONTROL_PAIR), hostname="first@%h")
    second = worker_factory(redis_server.url(databases.CONTROL_PAIR), hostname="second@%h")
    node = first.wait_for_log(r"first@\S+").group(0)
    out = run_php.file(
        "control_commands.php",
        env={
            "CELERY_BROKER_URL": redis_server.url(databases.CONTROL_PAIR),
            "CELERY_RESULT_BACKEND": None,
            "CB_NODE": node,
        },
        timeout=90,
        args=["limit_election_shutdown"],
    ).json()
    limited, took, both, heard, shutdown = out
    assert len(limited) == 1 and took < 25  # the first reply ends the wait, not the 30 s timeout
    assert sorted(both) == sorted([node, node.replace("first@", "second@")])
    assert heard >= 2
    assert shutdown == []
    first.wait_for_log(r"Got shutdown from remote", timeout=20)
    until(lambda: not first.running, 20, "the first worker to exit", interval=0.1)
    assert second.running


def test_the_cli_runs_inspect_and_control_commands(ctl, redis_server: RedisServer) -> None:
    """`celery-bridge workers inspect KIND` / `workers control COMMAND ARGS`, as `celery` spells them."""
    node = ctl.node
    urls = {"broker": redis_server.url(BROKER_DB), "backend": redis_server.url(BACKEND_DB)}
    where = ("--destination", node, "--timeout", "5")
    rate = cli("workers", "control", "rate-limit", "tasks.add", "10/m", *where, **urls)
    registered = cli("--json", "workers", "inspect", "registered", "rate_limit", *where, **urls)
    refused = cli("workers", "control", "pool_restart", *where, **urls)
    clock = cli("--json", "workers", "inspect", "clock", *where, **urls)
    queried = cli("--json", "workers", "inspect", "query_task", "no-such-id", *where, **urls)
    nobody = ("--destination", "nobody@nowhere", "--timeout", "0.5")
    unanswered = cli("workers", "inspect", "stats", *nobody, **urls)
    usage = cli("workers", "control", "autoscale", "x", "1", **urls)
    cli("workers", "control", "rate_limit", "tasks.add", "0", *where, **urls)

    assert (rate.code, rate.stdout) == (0, f"{node}: OK new rate limit set successfully\n")
    assert "tasks.add [rate_limit=10/m]" in registered.json()[node]
    assert (refused.code, refused.stdout) == (1, f"{node}: ERROR ValueError('Pool restarts not enabled')\n")
    assert clock.code == 0 and clock.json()[node]["clock"] > 0
    assert list(queried.json()) == [node] and not queried.json()[node]  # no such task on it
    assert unanswered.code == 4 and "no worker replied within 0.5 s" in unanswered.stderr
    assert usage.code == 2 and "MAX expects a whole number" in usage.stderr
