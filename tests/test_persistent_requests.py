"""Persistent sockets across PHP-FPM-like requests: one PHP process serves several "requests",
each creating a client with redis_persistent, sending one task and dropping the client, as an
FPM child does. The socket stays in the client library's pool between them.

phpredis checks a pooled socket with ECHO before handing it out, so our own PING would be a
second round trip for the same check: a reused socket costs ECHO + LPUSH. Predis hands its
sockets out unchecked, so there our PING stays. Either way a server restarted between two
requests (the pooled socket is dead) loses no task and queues none twice.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness import REPO_ROOT, RedisServer
from wire import decode_body

SCRIPT = REPO_ROOT / "tests" / "php" / "persistent_requests.php"
QUEUE = "fpm-requests"


class Requests:
    """The PHP process; request(n) sends one task in a fresh client and returns its id."""

    def __init__(self, autoload: Path, url: str, redis_client: str) -> None:
        self.process = subprocess.Popen(
            ["php", str(SCRIPT), str(autoload), url, redis_client],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def request(self, n: int) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{n}\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> str:
        stdout, stderr = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, stderr
        return stderr


def calls(server: RedisServer, command: str) -> int:
    return server.client().info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


def queued_ids(server: RedisServer) -> list[str]:
    messages = server.client().lrange(QUEUE, 0, -1)
    return [json.loads(m)["headers"]["id"] for m in reversed(messages)]


@pytest.mark.parametrize("redis_client", ["phpredis", "predis"])
def test_a_reused_persistent_socket_costs_one_check_and_survives_a_restart(
    redis_factory, php_autoload: Path, redis_client: str
) -> None:
    server = redis_factory()
    requests = Requests(php_autoload, server.url(0), redis_client)
    try:
        first = requests.request(1)
        pings, echoes = calls(server, "ping"), calls(server, "echo")
        second = requests.request(2)
        # The second request took the first one's socket from the pool.
        if redis_client == "phpredis":
            assert (calls(server, "ping"), calls(server, "echo")) == (pings, echoes + 1)
        else:
            assert calls(server, "ping") == pings + 1
        assert queued_ids(server) == [first, second]

        # The pooled socket dies with the server: the next request must find out before it
        # writes, open a new socket, and queue its task exactly once.
        server.restart()
        third = requests.request(3)
        assert queued_ids(server) == [third], third
        body = decode_body(json.loads(server.client().lindex(QUEUE, 0)))
        assert body[0] == [3, 1]
    finally:
        stderr = requests.close()
    assert "Warning" not in stderr
