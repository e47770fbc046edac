"""`make bench`'s AMQP part: publish ratios over RabbitMQ, and the AMQP methods of one request.

Starts its own RabbitMQ node (Debian's rabbitmq-server, tests/rabbitmq.py: free loopback ports,
stopped by PID), then
  1. bench/amqp_publish.php: sendTask() and sendMany() next to a raw php-amqplib publish +
     confirm of a prebuilt message, confirms on in all, alternating rounds, medians;
  2. bench/amqp_request.php through a recording proxy (tests/amqp_proxy.py): the connections,
     channels and AMQP methods of a fresh PHP process sending a task (a PHP-FPM request
     without a persistent connection), then of a second send in that process, then its exit:
     first a process that finds no queue (it declares it), then one that finds the topology the
     first left (a request of a running deployment), with each PHP AMQP library installed;
  3. with valgrind installed, bench/amqp_instructions.php under callgrind: the instructions of
     one sendTask(), of one task of a sendMany() and of one raw publish + confirm, which the
     machine's load does not change.

    .venv/bin/python bench/amqp_bench.py          BENCH_TASKS=1000 BENCH_ROUNDS=15
    .venv/bin/python bench/amqp_bench.py request  (part 2 only)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from amqp_proxy import AmqpProxy, Method  # noqa: E402, I001
from rabbitmq import RabbitMQServer  # noqa: E402


def describe(methods: list[Method]) -> str:
    """ "basic.publish (c), basic.ack (s)": the methods in order, who sent each."""
    return ", ".join(f"{m.name} ({m.sender}, ch {m.channel})" for m in methods) or "(none)"


def report(title: str, methods: list[Method]) -> None:
    client = [m for m in methods if m.sender == "c"]
    # basic.return comes just before the basic.ack of the same publish: not a round trip of its own.
    server = [m for m in methods if m.sender == "s" and m.name != "basic.return"]
    connections = len({m.connection for m in methods})
    channels = Counter(m.name for m in client)["channel.open"]
    declares = [m.name for m in client if m.name.endswith((".declare", ".bind"))]
    print(f"  {title}:")
    print(f"    connections {connections}, channels opened {channels}, client methods {len(client)}, "
          f"round trips {len(server)} (server methods, each answering one the client waited on)")
    print(f"    declares/binds: {len(declares)} {declares if declares else ''}".rstrip())
    print(f"    {describe(methods)}")


def one_process(server: RabbitMQServer, queue: str, client: str) -> list[list[Method]]:
    """The methods of one amqp_request.php process: its first send, its second, its exit."""
    proxy = AmqpProxy(server.port or 0)
    url = f"amqp://guest:guest@127.0.0.1:{proxy.port}//"
    process = subprocess.Popen(
        ["php", str(ROOT / "bench" / "amqp_request.php")],
        env={**os.environ, "CELERY_BROKER_URL": url, "BENCH_QUEUE": queue, "BENCH_AMQP_CLIENT": client},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    sections: list[list[Method]] = []
    try:
        for n in (1, 2):
            line = process.stdout.readline()
            if line.strip() != f"sent {n}":
                raise SystemExit(f"amqp bench: amqp_request.php printed {line!r}")
            sections.append(proxy.snapshot()[sum(len(s) for s in sections):])
            process.stdin.write("\n")
            process.stdin.flush()
        process.stdin.close()
        if process.wait(30) != 0:
            raise SystemExit(f"amqp bench: amqp_request.php exited with {process.returncode}")
        deadline = time.monotonic() + 10
        while not proxy.all_closed() and time.monotonic() < deadline:
            time.sleep(0.01)
        sections.append(proxy.snapshot()[sum(len(s) for s in sections):])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        proxy.close()
    return sections


def clients() -> list[str]:
    """The PHP AMQP libraries installed (Debian's php-amqplib, ext-amqp)."""
    found = []
    if Path("/usr/share/php/PhpAmqpLib").is_dir() or (ROOT / "vendor" / "php-amqplib").is_dir():
        found.append("php-amqplib")
    loaded = subprocess.run(
        ["php", "-r", "echo extension_loaded('amqp') ? 1 : 0;"], capture_output=True, text=True
    )
    if loaded.stdout.strip() == "1":
        found.append("ext-amqp")
    return found


def request_methods(server: RabbitMQServer) -> None:
    print("AMQP methods of one PHP request (a fresh `php` process; a recording proxy, tests/amqp_proxy.py):")
    for client in clients():
        # A queue of its own per library: the first process finds none.
        queue = f"bench-request-{client}-{os.getpid()}"
        first = one_process(server, queue, client)
        later = one_process(server, queue, client)
        print(f" {client}, the first process (no queue yet: RabbitMQ returns the publish, it declares):")
        report("first sendTask()", first[0])
        report("second sendTask() in the same process", first[1])
        report("end of the request (process exit)", first[2])
        print(f" {client}, a later process (the topology exists):")
        report("first sendTask()", later[0])
        report("second sendTask() in the same process", later[1])
        report("end of the request (process exit)", later[2])
        conn = server.connection()
        try:
            conn.channel().queue_delete(queue)
        finally:
            conn.close()


def instructions(server: RabbitMQServer) -> None:
    if shutil.which("valgrind") is None:
        print("instructions per operation: skipped, valgrind is not installed (apt-get install valgrind)")
        return
    out = tempfile.mkdtemp(prefix="cb-amqp-callgrind-")
    try:
        def count(mode: str, ops: int) -> int:
            path = f"{out}/cg.{mode}.{ops}"
            subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={path}", "php",
                 str(ROOT / "bench" / "amqp_instructions.php")],
                env={**os.environ, "CELERY_BROKER_URL": server.url(), "BENCH_MODE": mode,
                     "BENCH_OPS": str(ops)},
                check=True, capture_output=True,
            )
            with open(path) as profile:
                for line in profile:
                    if line.startswith(("summary:", "totals:")):
                        return int(line.split()[1])
            raise SystemExit(f"amqp bench: no totals in {path}")

        per = {mode: (count(mode, 201) - count(mode, 1)) // 200 for mode in ("raw", "send", "many")}
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print("instructions per operation (valgrind --tool=callgrind, 201 operations minus 1):")
    print(f"  raw publish+confirm  {per['raw']:8d}")
    print(f"  sendTask()           {per['send']:8d}   ({per['send'] / per['raw']:.1f}x)")
    print(f"  sendMany(), per task {per['many']:8d}   ({per['many'] / per['raw']:.1f}x)")


def main() -> None:
    server = RabbitMQServer()
    server.start()
    try:
        if sys.argv[1:] == ["request"]:
            request_methods(server)
            return
        env = {**os.environ, "CELERY_BROKER_URL": server.url()}
        subprocess.run(["php", str(ROOT / "bench" / "amqp_publish.php")], env=env, check=True)
        print()
        request_methods(server)
        print()
        instructions(server)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
