"""A RabbitMQ cluster on loopback: 3 nodes of Debian's rabbitmq-server package (tests/rabbitmq.py).

Plain class with no pytest dependency (`make cluster-test` runs it from tests/cluster_failover.py).
The nodes have distinct node names, AMQP ports and distribution ports; they register with one
epmd on 127.0.0.1 (started here) and share one Erlang cookie, which is all Erlang distribution
needs to connect them. The second and third node join the first with `rabbitmqctl join_cluster`
(after `stop_app`; `start_app` again), as an operator builds a cluster by hand. Quorum queues need
this: their members live on 3 nodes and a majority (2) keeps the queue available when one dies.

kill(node) SIGKILLs a node as a crashed machine would; running_nodes() asks a surviving node
which members it sees, so a test can wait until the cluster knows the node is gone.
stop() stops every node, then epmd, by PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness import POLL_INTERVAL, HarnessError, free_port
from rabbitmq import RabbitMQServer, _chown_tree, _run_as, _stop_process


class RabbitMQCluster:
    """`size` rabbitmq-server nodes joined into one cluster; nodes[0] is the one the others join."""

    def __init__(self, size: int = 3, *, config: list[str] | tuple[str, ...] = ()) -> None:
        self.size = size
        self.config = list(config)
        self.cookie = f"cbcluster{os.urandom(16).hex()}"
        self.epmd_port: int | None = None
        self.nodes: list[RabbitMQServer] = []
        self._epmd: subprocess.Popen[bytes] | None = None
        self._directory: Path | None = None

    # --- addresses -------------------------------------------------------------------------

    def url_list(self, order: list[int] | None = None) -> str:
        """Celery's failover list, "amqp://...;amqp://...", in `order` (node indexes)."""
        return ";".join(self.nodes[i].url() for i in (order or range(self.size)))

    def node_of_port(self, port: int) -> RabbitMQServer | None:
        return next((node for node in self.nodes if node.port == port), None)

    @property
    def pids(self) -> list[int]:
        """Every PID this object started that still runs (nodes, epmd)."""
        own = [self._epmd.pid] if self._epmd is not None and self._epmd.poll() is None else []
        return [pid for node in self.nodes for pid in node.pids] + own

    # --- life cycle ------------------------------------------------------------------------

    def start(self, timeout: float = 180.0) -> RabbitMQCluster:
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self._directory = Path(tempfile.mkdtemp(prefix="cb-rabbitmq-cluster-"))
        run_as = _run_as()
        if run_as:
            _chown_tree(self._directory, run_as["user"])
        self.epmd_port = free_port()
        with (self._directory / "epmd.out").open("ab") as output:
            self._epmd = subprocess.Popen(
                ["epmd", "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                cwd=self._directory, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True, **run_as,
            )
        self.nodes = [
            RabbitMQServer(config=self.config, epmd_port=self.epmd_port, cookie=self.cookie)
            for _ in range(self.size)
        ]
        # One after the other: on 2 CPUs three Erlang VMs booting at once are not faster.
        for node in self.nodes:
            node.start(timeout=max(30.0, deadline - time.monotonic()))
        first = self.nodes[0]
        for node in self.nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.nodename)
            node.ctl("start_app")
        self.wait_for_members(set(self.nodes), deadline - time.monotonic())

    def running_node(self) -> RabbitMQServer:
        """A node whose process runs (to ask things of the cluster)."""
        node = next((node for node in self.nodes if node.running), None)
        if node is None:
            raise HarnessError("no node of the cluster is running")
        return node

    def running_nodes(self, via: RabbitMQServer | None = None) -> set[str]:
        """Node names the cluster reports running, asked of `via` (default: a running node)."""
        asked = via or self.running_node()
        status = json.loads(asked.ctl("cluster_status", "--formatter", "json"))
        return set(status.get("running_nodes", []))

    def wait_for_members(self, nodes: set[RabbitMQServer], timeout: float) -> None:
        """Until every running node reports exactly `nodes` as the running members."""
        wanted = {node.nodename for node in nodes}
        deadline = time.monotonic() + timeout
        seen: dict[str, set[str]] = {}
        while True:
            seen = {node.nodename: self.running_nodes(node) for node in nodes}
            if all(members == wanted for members in seen.values()):
                return
            if time.monotonic() > deadline:
                raise HarnessError(f"cluster members did not become {sorted(wanted)}: {seen}")
            time.sleep(POLL_INTERVAL)

    def kill(self, node: RabbitMQServer, timeout: float = 120.0) -> None:
        """SIGKILL `node`; return once its process is gone and the other nodes see it down."""
        node.kill()
        if node.running:
            raise HarnessError(f"{node.nodename} still runs after SIGKILL")
        self.wait_for_members({other for other in self.nodes if other.running}, timeout)

    def stop(self) -> None:
        """Every node (SIGTERM, then SIGKILL), then epmd, by the PIDs started here."""
        nodes, self.nodes = self.nodes, []
        try:
            for node in nodes:
                with contextlib.suppress(Exception):
                    node.stop()
        finally:
            epmd, self._epmd = self._epmd, None
            if epmd is not None:
                _stop_process(epmd, 30.0)
            directory, self._directory = self._directory, None
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
