"""Sentinel: PHP publishes through two sentinels, the master fails over, PHP publishes again.

The worker and PHP use the same sentinel:// URLs and master_name. Nothing may be lost: both
tasks run exactly once and PHP reads both results through the sentinel result backend.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from harness import CeleryWorker, Records
from servers import SentinelSetup, sentinel_config, sentinel_urls

# Publishes A and waits for its result, waits for "go" (the test fails the master over),
# publishes B over the same client; reads both results through the backend after the failover.
PHP_FAILOVER = """
$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$client = new CeleryClient(getenv('CB_BROKER'), getenv('CB_BACKEND'), $config);
$a = attempt($client, 'A-' . getenv('CB_RUN'));
say($a);
// The result is stored once the task returned: wait for it before the failover.
$client->result($a['id'])->get(timeout: 30.0);
await_go();
$b = attempt($client, 'B-' . getenv('CB_RUN'));
say($b);
$results = [];
foreach ([$a, $b] as $sent) {
    if ($sent['outcome'] === 'ok') {
        $results[] = $client->result($sent['id'])->get(timeout: 30.0)['args'][0];
    }
}
say(['results' => $results]);
"""


def _run_failover(
    php_session: Any,
    redis_client: str,
    setup: SentinelSetup,
    records: Records,
    fail_over: Any,
    retry_policy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    broker, backend = sentinel_urls(setup)
    run = f"{redis_client}-{fail_over.__name__}"
    config = {"redis_client": redis_client, **sentinel_config(setup)}
    if retry_policy is not None:
        config["task_publish_retry_policy"] = retry_policy
    session = php_session(PHP_FAILOVER, {
        "CB_BROKER": broker, "CB_BACKEND": backend, "CB_CONFIG": json.dumps(config), "CB_RUN": run,
    })
    old_master = setup.master_port()
    a = session.read()
    assert a["outcome"] == "ok", a
    assert records.pop(20)["args"] == [f"A-{run}"]
    session.wait_for_go()

    fail_over()
    new_master = setup.master_port()
    assert new_master != old_master
    session.go()

    b = session.read(90)
    assert b["outcome"] == "ok", b
    assert records.pop(30)["args"] == [f"B-{run}"]
    assert session.read(60) == {"results": [f"A-{run}", f"B-{run}"]}
    session.finish()
    assert records.pending() == []
    # B went to the new master; the old one (now a replica) holds no queue of its own.
    return {"a": a, "b": b, "old": old_master, "new": new_master}


@pytest.fixture
def failover(
    sentinel_setup: SentinelSetup, sentinel_worker: CeleryWorker, php_session: Any, records: Records
) -> Callable[..., dict[str, Any]]:
    """_run_failover(redis_client, fail_over, retry_policy=None) on sentinel_setup, with
    sentinel_worker running."""
    return functools.partial(_run_failover, php_session, setup=sentinel_setup, records=records)


def test_manual_failover_loses_nothing(
    redis_client: str, sentinel_setup: SentinelSetup, failover: Callable[..., dict[str, Any]]
) -> None:
    """SENTINEL FAILOVER between two publishes: the old master is demoted (Sentinel kills its
    clients), PHP reconnects through Sentinel to the new one."""

    def manual() -> None:
        sentinel_setup.failover()

    outcome = failover(redis_client, fail_over=manual)
    assert outcome["b"]["seconds"] < 10


def test_master_killed_loses_nothing(
    redis_client: str, sentinel_setup: SentinelSetup, failover: Callable[..., dict[str, Any]]
) -> None:
    """The master dies; PHP's publish retries (a policy long enough to span Sentinel's
    down-after-milliseconds and election) until Sentinel names the promoted replica."""
    killed: list[Any] = []

    def kill() -> None:
        node = sentinel_setup.kill_master()
        killed.append(node)
        sentinel_setup.wait_promoted(node.port)

    try:
        outcome = failover(
            redis_client, fail_over=kill,
            retry_policy={
                "max_retries": 200, "interval_start": 0.1, "interval_step": 0.1, "interval_max": 0.3,
            },
        )
    finally:
        for node in killed:
            sentinel_setup.rejoin(node)
    assert outcome["b"]["outcome"] == "ok"


PHP_SINGLE = """
$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$client = new CeleryClient(getenv('CB_BROKER'), null, $config);
say(attempt($client, 'never-' . getenv('CB_RUN')));
"""


@pytest.mark.parametrize(
    "case", ["unknown master name", "too few sentinels", "sentinels down", "replica URL"]
)
def test_sentinel_errors_name_the_problem(
    case: str, redis_client: str, sentinel_setup: SentinelSetup, php_session: Any
) -> None:
    broker, _backend = sentinel_urls(sentinel_setup)
    config: dict[str, Any] = {
        "redis_client": redis_client, "task_publish_retry": False, **sentinel_config(sentinel_setup),
    }
    if case == "unknown master name":
        config["broker_transport_options"] = {**config["broker_transport_options"], "master_name": "nosuch"}
    elif case == "too few sentinels":
        config["broker_transport_options"] = {**config["broker_transport_options"], "min_other_sentinels": 3}
    elif case == "sentinels down":
        broker = "sentinel://127.0.0.1:1;sentinel://127.0.0.1:2"
    else:
        password = quote(sentinel_setup.MASTER_PASSWORD, safe="")
        broker = f"redis://:{password}@127.0.0.1:{sentinel_setup.replica().port}/0"
        config = {"redis_client": redis_client, "task_publish_retry_policy": {"max_retries": 1}}
    session = php_session(PHP_SINGLE, {"CB_BROKER": broker, "CB_CONFIG": json.dumps(config), "CB_RUN": case})

    outcome = session.read()
    session.finish()

    assert outcome["outcome"] == "failed", outcome
    expected = {
        "unknown master name": ("NoSentinelMaster", 'named "nosuch"'),
        "too few sentinels": ("NoSentinelMaster", "sees 1 other sentinels, min_other_sentinels is 3"),
        "sentinels down": ("NoSentinelMaster", "127.0.0.1:1: refused"),
        "replica URL": ("ReadOnlyReplica", "read-only replica"),
    }[case]
    assert outcome["class"] == expected[0]
    assert expected[1] in outcome["message"]
    assert sentinel_setup.MASTER_PASSWORD not in outcome["message"]
