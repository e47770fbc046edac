"""A real RabbitMQ node (Debian's rabbitmq-server package) for the AMQP tests.

Plain class with no pytest dependency (tests/over_amqp/conftest.py makes a fixture of it).
Each node is independent of the system's: its own node name, AMQP port, distribution port, epmd
(started here, on its own port) and data/log/config directory, all on 127.0.0.1, so several nodes
run side by side and nothing of /etc/rabbitmq or /var/lib/rabbitmq is read or written. The node is
ready when an AMQP client can open a connection and a channel on it; stop() ends the node and its
epmd by PID. A cluster (tests/rabbitmq_cluster.py) gives its nodes one epmd and one Erlang cookie
instead (`epmd_port=`, `cookie=`); ctl() runs rabbitmqctl against the node, kill() SIGKILLs it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import amqp

from harness import POLL_INTERVAL, HarnessError, free_port

# The script under Debian's /usr/sbin wrapper. The wrapper switches to the `rabbitmq` user with su
# (which would put two more processes between us and the node) and sends output to
# /var/log/rabbitmq; this class does the user switch itself.
RABBITMQ_SCRIPT = os.environ.get("CELERYBRIDGE_RABBITMQ_SERVER") or "/usr/lib/rabbitmq/bin/rabbitmq-server"
RABBITMQCTL = os.environ.get("CELERYBRIDGE_RABBITMQCTL") or "/usr/lib/rabbitmq/bin/rabbitmqctl"
RABBITMQ_USER = "rabbitmq"
# RabbitMQ's built-in account; it may only connect from loopback, which is all the tests do.
GUEST = ("guest", "guest")

_node_ids = itertools.count(1)


def _run_as() -> dict[str, Any]:
    """Popen arguments that drop root to the package's `rabbitmq` user (as Debian's wrapper
    does); as any other user the node runs as that user."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(RABBITMQ_USER)
    except KeyError:
        return {}
    return {"user": RABBITMQ_USER, "group": RABBITMQ_USER, "extra_groups": []}


def _chown_tree(path: Path, user: str) -> None:
    for directory, _, files in os.walk(path):
        shutil.chown(directory, user, user)
        for name in files:
            shutil.chown(Path(directory) / name, user, user)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path.name} was not written)"


def _stop_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM and wait; then SIGKILL its process group (it was started in a session of its own)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout)


class RabbitMQServer:
    """One rabbitmq-server node on free loopback ports, with everything it writes in a temp dir."""

    def __init__(
        self,
        *,
        config: list[str] | tuple[str, ...] = (),
        epmd_port: int | None = None,
        cookie: str | None = None,
    ) -> None:
        # Under /tmp, not pytest's tmp_path: that tree is 0700 root, and the node runs as
        # `rabbitmq`. Created by start(), removed by stop().
        self.directory: Path | None = None
        self.config = list(config)
        self.nodename = f"cb{os.getpid()}n{next(_node_ids)}@localhost"
        self.port: int | None = None
        self.dist_port: int | None = None
        # Given: an epmd someone else runs (a cluster's); None: this node starts its own.
        self._shared_epmd = epmd_port
        self.epmd_port: int | None = epmd_port
        # Nodes only talk to each other (and rabbitmqctl to a node) with the same cookie.
        self.cookie = cookie or f"cb{os.urandom(16).hex()}"
        self._node: subprocess.Popen[bytes] | None = None
        self._epmd: subprocess.Popen[bytes] | None = None

    # --- addresses -------------------------------------------------------------------------

    def url(self, vhost: str = "/", port: int | None = None) -> str:
        """A Celery/kombu broker URL (the default vhost "/" is written as the empty path "//");
        with `port`, the URL of another way to this node (a proxy in front of it)."""
        if self.port is None:
            raise HarnessError("rabbitmq-server has not been started yet.")
        path = "" if vhost == "/" else vhost
        return f"amqp://{GUEST[0]}:{GUEST[1]}@127.0.0.1:{port or self.port}/{path}"

    def connection(self, **kwargs: Any) -> amqp.Connection:
        """An open py-amqp connection as guest (close it when done)."""
        if self.port is None:
            raise HarnessError("rabbitmq-server has not been started yet.")
        conn = amqp.Connection(
            host=f"127.0.0.1:{self.port}", userid=GUEST[0], password=GUEST[1], **kwargs
        )
        conn.connect()
        return conn

    @property
    def pids(self) -> list[int]:
        """The PIDs this object started (node script, epmd) that are still running."""
        return [p.pid for p in (self._node, self._epmd) if p is not None and p.poll() is None]

    @property
    def log_path(self) -> Path:
        return self._dir / "log" / "node.log"

    @property
    def _dir(self) -> Path:
        if self.directory is None:
            raise HarnessError("rabbitmq-server has not been started yet.")
        return self.directory

    # --- life cycle ------------------------------------------------------------------------

    def start(self, timeout: float = 90.0) -> RabbitMQServer:
        """Start epmd and the node; return once the node accepts an AMQP connection and channel.

        Stops whatever it started if the node does not come up within `timeout` (a cold node
        takes 6-8 s here; the machine may be loaded). A process that exits during startup (a
        port taken between free_port() and its bind) gets one more try on fresh ports."""
        for attempt in (1, 2):
            try:
                self._start(timeout)
                return self
            except HarnessError:
                self.stop()
                if attempt == 2:
                    raise
            except BaseException:
                self.stop()
                raise
        return self

    def _start(self, timeout: float) -> None:
        run_as = _run_as()
        self.directory = Path(tempfile.mkdtemp(prefix="cb-rabbitmq-"))
        directory = self.directory
        for sub in ("mnesia", "log", "home"):
            (directory / sub).mkdir(exist_ok=True)
        self.port, self.dist_port = free_port(), free_port()
        self.epmd_port = self._shared_epmd or free_port()
        config = directory / "rabbitmq.conf"
        config.write_text(
            "\n".join(
                [
                    f"listeners.tcp.default = 127.0.0.1:{self.port}",
                    "log.console = false",
                    "log.file.level = info",
                    *self.config,
                ]
            )
            + "\n"
        )
        # An empty env file: without it the script sources /etc/rabbitmq/rabbitmq-env.conf.
        (directory / "rabbitmq-env.conf").write_text("")
        cookie = directory / "home" / ".erlang.cookie"
        cookie.write_text(self.cookie)
        # Erlang refuses a cookie file that others can read.
        cookie.chmod(0o400)
        if run_as:
            _chown_tree(directory, run_as["user"])
        env = self._environment()
        if self._shared_epmd is None:
            self._start_epmd(env, run_as)
        deadline = time.monotonic() + timeout
        self._wait(deadline, self._epmd_listens, "epmd", directory / "epmd.out")
        output = (directory / "node.out").open("ab")
        with output:
            self._node = subprocess.Popen(
                [RABBITMQ_SCRIPT],
                cwd=directory, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True, **run_as,
            )
        self._wait(deadline, self._accepts_amqp, "rabbitmq-server", self.log_path)

    def _environment(self) -> dict[str, str]:
        directory = self._dir
        config = directory / "rabbitmq.conf"
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            # Where Erlang (node and rabbitmqctl) reads .erlang.cookie.
            "HOME": str(directory / "home"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(config),
            "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(directory / "log"),
            "RABBITMQ_LOGS": str(self.log_path),
            # The distribution listener on loopback only; epmd is ours (no `epmd -daemon`).
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-start_epmd false "
            "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def _start_epmd(self, env: dict[str, str], run_as: dict[str, Any]) -> None:
        directory = self._dir
        output = (directory / "epmd.out").open("ab")
        with output:
            self._epmd = subprocess.Popen(
                ["epmd", "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                cwd=directory, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True, **run_as,
            )

    def ctl(self, *args: str, timeout: float = 120.0) -> str:
        """rabbitmqctl ARGS against this node (as the node's user, with its cookie and epmd);
        its stdout. A CLI run starts an Erlang VM of its own: seconds, not milliseconds."""
        env = {
            **self._environment(),
            # The CLI's own distribution listener; the script's default is the fixed range
            # 35672-35682, which CLIs of other nodes on this machine would share.
            "RABBITMQ_CTL_DIST_PORT_MIN": str(port := free_port()),
            "RABBITMQ_CTL_DIST_PORT_MAX": str(port),
        }
        done = subprocess.run(
            [RABBITMQCTL, "-n", self.nodename, *args],
            cwd=self._dir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=timeout, **_run_as(),
        )
        if done.returncode != 0:
            raise HarnessError(
                f"rabbitmqctl {' '.join(args)} on {self.nodename} exited with {done.returncode}:\n"
                f"{done.stdout}{done.stderr}"
            )
        return done.stdout

    def kill(self) -> None:
        """SIGKILL the node (its whole process group: beam and its helpers) and reap it, as a
        machine that dies would; its data directory stays until stop()."""
        node = self._node
        if node is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGKILL)
        node.wait(30)

    @property
    def running(self) -> bool:
        return self._node is not None and self._node.poll() is None

    def _epmd_listens(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.epmd_port or 0), timeout=1.0):
            return True

    def _accepts_amqp(self) -> bool:
        # RabbitMQ opens its AMQP listener only at the end of its boot; a channel proves the
        # node serves clients (the guest user and the default vhost exist by then).
        conn = self.connection(connect_timeout=2.0)
        try:
            conn.channel().close()
        finally:
            conn.close()
        return True

    def _wait(self, deadline: float, ready: Any, what: str, log: Path) -> None:
        last_error: Exception | None = None
        while True:
            for process in (self._epmd, self._node):
                if process is not None and process.poll() is not None:
                    raise HarnessError(
                        f"{what}: a process exited with {process.returncode} during startup:\n"
                        f"{_tail(self._dir / 'node.out')}\n{_tail(log)}"
                    )
            try:
                if ready():
                    return
            except (OSError, amqp.exceptions.AMQPError) as error:
                last_error = error
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"{what} did not become ready (last error: {last_error}):\n{_tail(log)}"
                )
            time.sleep(POLL_INTERVAL)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the node (SIGTERM: RabbitMQ shuts down cleanly), then its epmd; SIGKILL after
        `timeout`. Both by the PIDs started here."""
        node, self._node = self._node, None
        epmd, self._epmd = self._epmd, None
        try:
            if node is not None:
                _stop_process(node, timeout)
        finally:
            if epmd is not None:
                _stop_process(epmd, timeout)
            directory, self.directory = self.directory, None
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
