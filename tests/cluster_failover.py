"""`make cluster-test`: failover across a 3-node RabbitMQ cluster with a quorum queue (issue 27 item 7).

Not part of `make test` (a cluster takes a while to build). What it does, all on loopback:

1. a 3-node cluster of Debian's rabbitmq-server (tests/rabbitmq_cluster.py) and a redis-server
   (records and results); the quorum queue "celery" is declared through node 1, so node 1 holds
   its leader;
2. a real Celery worker (the .venv's Celery, solo pool) with task_default_queue_type = 'quorum'
   and the failover list node3;node2;node1: it consumes through node 3;
3. 4 PHP processes (tests/php/cluster_publisher.php), each a CeleryClient on the failover list
   node1;node2;node3 (round-robin), sending tasks.record one sendTask() at a time and writing
   down what each send reported: queued, PublishOutcomeUnknown, or failed (not queued);
4. once every publisher has queued KILL_AFTER tasks, the node their connections are on (asked
   of RabbitMQ: rabbitmqctl list_connections) is SIGKILLed, and the cluster is watched until the
   other nodes see it down; the publishers go on;
5. after they finish, a last task from Python marks the end of the queue: when the worker has run
   it, everything queued before it has run (one consumer, one task at a time, FIFO).

Then it checks, and prints a summary with the counts:
- publishing continued on the next URL: every publisher queued tasks after the kill;
- every task reported queued ran exactly once (0 lost, 0 duplicates);
- a task reported failed (not queued) never ran; an unknown one ran at most once, and the
  exception named its id when it names ids;
- nothing ran that no publisher sent.
Exit status 0 when all hold.

    .venv/bin/python tests/cluster_failover.py      CLUSTER_TASKS=600 CLUSTER_RATE=50 CLUSTER_KILL_AFTER=100
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from celery import Celery  # noqa: E402

from harness import POLL_INTERVAL, CeleryWorker, HarnessError, Records, RedisServer  # noqa: E402
from rabbitmq import RabbitMQServer  # noqa: E402
from rabbitmq_cluster import RabbitMQCluster  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PUBLISHER = ["php", str(ROOT / "tests" / "php" / "cluster_publisher.php")]
PUBLISHERS = 4
TASKS = int(os.environ.get("CLUSTER_TASKS", "600"))
RATE = float(os.environ.get("CLUSTER_RATE", "50"))
KILL_AFTER = int(os.environ.get("CLUSTER_KILL_AFTER", str(TASKS // 6)))
QUEUE = "celery"
QUORUM = {"task_default_queue_type": "quorum", "broker_failover_strategy": "round-robin"}
BROKER_DB, BACKEND_DB = 0, 1


def say(line: str) -> None:
    print(f"cluster-test: {line}", flush=True)


@dataclass
class Publisher:
    number: int
    out: Path
    process: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[dict[str, Any]]:
        try:
            text = self.out.read_text()
        except FileNotFoundError:
            return []
        # The last line may be half written while the process runs.
        return [json.loads(line) for line in text.splitlines() if line.endswith("}")]


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)


def start_publishers(cluster: RabbitMQCluster, directory: Path) -> list[Publisher]:
    publishers = []
    for number in range(1, PUBLISHERS + 1):
        out, log = directory / f"publisher{number}.jsonl", directory / f"publisher{number}.log"
        env = {
            **os.environ,
            "CELERY_BROKER_URL": cluster.url_list([0, 1, 2]),
            "CB_PROCESS": str(number),
            "CB_COUNT": str(TASKS),
            "CB_RATE": str(RATE),
            "CB_OUT": str(out),
        }
        with log.open("wb") as output:
            process = subprocess.Popen(PUBLISHER, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                       stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        publishers.append(Publisher(number, out, process, log))
    return publishers


def wait_until(what: str, ready: Any, timeout: float, publishers: list[Publisher] = ()) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        for publisher in publishers:
            code = publisher.process.poll()
            if code not in (None, 0):
                log = publisher.log.read_text()
                raise HarnessError(f"publisher {publisher.number} exited with {code}:\n{log}")
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_INTERVAL)


def connections_by_node(cluster: RabbitMQCluster) -> dict[str, Counter[str]]:
    """{node name: Counter(client product)} of the cluster's AMQP connections (rabbitmqctl)."""
    listed = json.loads(cluster.running_node().ctl("list_connections", "port", "client_properties",
                                                   "--formatter", "json"))
    found: dict[str, Counter[str]] = {}
    for connection in listed:
        node = cluster.node_of_port(int(connection["port"]))
        properties = connection.get("client_properties") or []
        product = next((str(p[2]) for p in properties if isinstance(p, list) and p[:1] == ["product"]), "?")
        found.setdefault(node.nodename if node else "?", Counter())[product] += 1
    return found


def php_node(cluster: RabbitMQCluster) -> RabbitMQServer:
    """The one node every PHP publisher's connection is on (py-amqp connections are the worker's)."""
    by_node = connections_by_node(cluster)
    php = {node: sum(n for product, n in products.items() if product != "py-amqp")
           for node, products in by_node.items()}
    nodes = [node for node, count in php.items() if count]
    if len(nodes) != 1 or php[nodes[0]] != PUBLISHERS:
        raise HarnessError(f"expected the {PUBLISHERS} PHP connections on one node, found {by_node}")
    node = next(n for n in cluster.nodes if n.nodename == nodes[0])
    return node


def mark_the_end(cluster: RabbitMQCluster, killed: RabbitMQServer, backend: str) -> str:
    """Queue one last task from Python through a surviving node; its id."""
    alive = [i for i, node in enumerate(cluster.nodes) if node is not killed]
    app = Celery("cluster-test", set_as_current=False)
    app.conf.update(broker_url=cluster.url_list(alive), result_backend=backend, **QUORUM,
                    broker_transport_options={"confirm_publish": True})
    try:
        end = str(uuid.uuid4())
        app.send_task("tasks.record", args=["end", 0], task_id=end, queue=QUEUE)
        return end
    finally:
        app.close()


def executions_until(records: Records, end: str, timeout: float) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        record = records.pop(timeout=max(1.0, deadline - time.monotonic()))
        found.append(record)
        if record["request"]["id"] == end:
            return found


def analyse(publishers: list[Publisher], executions: list[dict[str, Any]], end: str,
            killed_at: float) -> Findings:
    findings = Findings()
    sends = [dict(line, publisher=p.number) for p in publishers for line in p.lines()]
    ran = Counter(record["request"]["id"] for record in executions if record["request"]["id"] != end)
    redelivered = sum(1 for record in executions
                      if (record["request"].get("delivery_info") or {}).get("redelivered"))
    by_outcome: dict[str, list[dict[str, Any]]] = {"queued": [], "unknown": [], "failed": []}
    for send in sends:
        by_outcome[send["outcome"]].append(send)
    queued, unknown, failed = (by_outcome[k] for k in ("queued", "unknown", "failed"))
    sent_ids = {send["id"] for send in sends}

    made = PUBLISHERS * TASKS
    findings.check(len(sends) == made, f"{len(sends)} sends written down, {made} made")
    lost = [s["id"] for s in queued if ran[s["id"]] == 0]
    duplicated = [i for i, n in ran.items() if n > 1]
    failed_ran = [s["id"] for s in failed if ran[s["id"]]]
    unexpected = [i for i in ran if i not in sent_ids]
    unnamed = [s["id"] for s in unknown if s["id"] not in s["error_ids"]]
    findings.check(not lost, f"{len(lost)} tasks reported queued never ran: {lost[:10]}")
    findings.check(not duplicated, f"{len(duplicated)} tasks ran more than once: {duplicated[:10]}")
    findings.check(not failed_ran, f"{len(failed_ran)} tasks reported not queued ran: {failed_ran[:10]}")
    findings.check(not unexpected, f"{len(unexpected)} tasks ran that no publisher sent: {unexpected[:10]}")
    findings.check(not unnamed, f"PublishOutcomeUnknown did not name the task it was about: {unnamed[:10]}")

    after: dict[int, list[dict[str, Any]]] = {p.number: [] for p in publishers}
    for send in queued:
        if send["time"] > killed_at:
            after[send["publisher"]].append(send)
    for number, sends_after in after.items():
        findings.check(bool(sends_after), f"publisher {number} queued nothing after the kill")
    resumed = [min(s["time"] for s in sends) - killed_at for sends in after.values() if sends]

    unknown_ran = sum(1 for s in unknown if ran[s["id"]])
    errors = Counter(s["error"].split(":", 1)[0] for s in unknown + failed)
    findings.summary += [
        f"sent {len(sends)} tasks ({PUBLISHERS} publishers x {TASKS}): queued {len(queued)}, "
        f"PublishOutcomeUnknown {len(unknown)}, failed (not queued) {len(failed)}",
        "queued after the kill, per publisher: " + ", ".join(str(len(after[n])) for n in sorted(after))
        + (f"; first queued after the kill within {max(resumed):.2f} s" if resumed else ""),
        f"executions: {sum(ran.values())} ({redelivered} redelivered by RabbitMQ); "
        f"queued and ran exactly once: {sum(1 for s in queued if ran[s['id']] == 1)} of {len(queued)}",
        f"lost {len(lost)}, duplicates {len(duplicated)}, not-queued that ran {len(failed_ran)}, "
        f"unexpected {len(unexpected)}",
        f"PublishOutcomeUnknown: {len(unknown)} ({unknown_ran} ran, {len(unknown) - unknown_ran} did not), "
        "ids: " + (", ".join(s["id"] for s in unknown[:20]) or "none")
        + (f" ... ({len(unknown) - 20} more)" if len(unknown) > 20 else ""),
    ]
    if errors:
        findings.summary.append("exceptions: " + ", ".join(f"{name} x{n}" for name, n in errors.items()))
        moments = [s["time"] - killed_at for s in unknown + failed]
        findings.summary.append(f"  between {min(moments):+.2f} s and {max(moments):+.2f} s from the kill")
        for send in (unknown + failed)[:3]:
            findings.summary.append(f"  e.g. {send['error'][:300]}")
    return findings


def run(directory: Path) -> Findings:
    redis_server = RedisServer(directory / "redis")
    cluster = RabbitMQCluster()
    worker: CeleryWorker | None = None
    publishers: list[Publisher] = []
    try:
        redis_server.start()
        started = time.monotonic()
        cluster.start()
        say(f"3 nodes up and clustered in {time.monotonic() - started:.0f} s: "
            + ", ".join(f"{n.nodename} (AMQP {n.port}, dist {n.dist_port})" for n in cluster.nodes)
            + f", epmd {cluster.epmd_port}")
        # Declared through node 1: a quorum queue's leader starts on the node it was declared on.
        conn = cluster.nodes[0].connection()
        try:
            conn.channel().queue_declare(QUEUE, durable=True, auto_delete=False,
                                         arguments={"x-queue-type": "quorum"})
        finally:
            conn.close()
        worker = CeleryWorker(
            directory / "worker.log",
            broker_url=cluster.url_list([2, 1, 0]),
            backend_url=redis_server.url(BACKEND_DB),
            config=QUORUM,
            queues=[QUEUE],
            hostname="cluster@%h",
            env={"CELERY_BRIDGE_RECORDS_URL": redis_server.url(BROKER_DB)},
        )
        worker.start(timeout=120)
        records = Records(redis_server.client(BROKER_DB, socket_timeout=None))
        records.clear()

        publishers = start_publishers(cluster, directory)
        wait_until(f"{KILL_AFTER} queued tasks from every publisher",
                   lambda: all(sum(1 for line in p.lines() if line["outcome"] == "queued") >= KILL_AFTER
                               for p in publishers), 300, publishers)
        target = php_node(cluster)
        killed_at = time.time()
        started = time.monotonic()
        cluster.kill(target)
        say(f"killed {target.nodename} (SIGKILL), the node the {PUBLISHERS} PHP publishers were connected to "
            f"(and the queue's leader); the other nodes saw it down after {time.monotonic() - started:.1f} s")
        moved_to: str | None = None
        if any(p.process.poll() is None for p in publishers):
            now = connections_by_node(cluster)
            say(f"connections after the kill: { {n: dict(c) for n, c in now.items()} }")
            php = [n for n, c in now.items() if any(product != "py-amqp" for product in c)]
            moved_to = ",".join(php)
        wait_until("the publishers to finish", lambda: all(p.process.poll() is not None for p in publishers),
                   TASKS / RATE * 4 + 300, publishers)
        end = mark_the_end(cluster, target, redis_server.url(BACKEND_DB))
        executions = executions_until(records, end, 600)
        findings = analyse(publishers, executions, end, killed_at)
        # Round robin: after node 1 of the list, node 2 (asked only while the publishers still ran).
        nxt = cluster.nodes[1].nodename
        findings.check(moved_to in (None, nxt), f"the PHP connections went to {moved_to}, not to {nxt}")
        return findings
    finally:
        for publisher in publishers:
            if publisher.process.poll() is None:
                publisher.process.kill()
                publisher.process.wait()
        if worker is not None:
            worker.stop()
        cluster.stop()
        redis_server.stop()


def main() -> int:
    directory = Path(tempfile.mkdtemp(prefix="cb-cluster-test-"))
    try:
        findings = run(directory)
    except HarnessError as error:
        say(f"ERROR: {error}")
        say(f"logs kept in {directory}")
        return 2
    for line in findings.summary:
        say(line)
    if findings.problems:
        for problem in findings.problems:
            say(f"FAILED: {problem}")
        say(f"logs kept in {directory}")
        return 1
    say("PASSED: publishing went on over the next URL; every task reported queued ran exactly once")
    shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
