"""Publishing from a PHP-FPM request, where most PHP applications call the library.

nginx + php-fpm (opcache on, pm = static, 4 children) serve eight endpoints (bench/fpm/*.php);
wrk loads each in turn, alternating, for BENCH_ROUNDS rounds of BENCH_SECONDS; the figure is the
median requests/s of each endpoint and its ratio to the raw endpoint of the same mode, with the
lowest and highest ratio of a single round (each round runs the endpoints one after another, so
the spread is how far this machine's noise moves one ratio):

  persistent   raw_pconnect.php (pconnect + LPUSH of a prebuilt message)
               celery_persistent.php (new CeleryClient(url, redis_persistent) -> sendTask)
               floor_persistent.php (the same message built inline, no library: the best any
               PHP client can reach)
               autoload_pconnect.php (the raw endpoint after requiring Composer's autoloader,
               as every Composer application does: what a request pays before any library
               class is loaded)
  fresh        raw_connect.php (connect + LPUSH)
               celery_fresh.php (new CeleryClient(url) -> sendTask)
               floor_fresh.php
               autoload_connect.php

Then the Redis commands one request of each endpoint sends (MONITOR), on an FPM child that
has served requests before (so a persistent socket is a reused one). Every server runs on
loopback and is stopped by PID. Needs a redis-server (CELERY_BROKER_URL, as
tests/run_with_redis.sh sets it) and nginx, php8.2-fpm and wrk (bench/run.sh installs them).

    tests/run_with_redis.sh .venv/bin/python bench/fpm.py      BENCH_ROUNDS=5 BENCH_SECONDS=6

BENCH_FPM_ARGS adds php-fpm arguments, e.g. "-d opcache.preload=FILE -d opcache.preload_user=root".
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ROOT / "bench" / "fpm"
MODES = {
    "persistent": (
        "raw_pconnect.php", "celery_persistent.php", "floor_persistent.php", "autoload_pconnect.php",
    ),
    "fresh": ("raw_connect.php", "celery_fresh.php", "floor_fresh.php", "autoload_connect.php"),
}
QUEUES = ("bench-raw", "celery")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fpm_binary() -> str:
    for name in ("php-fpm8.2", "php-fpm"):
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin")
        if found:
            return found
    sys.exit("fpm bench: php-fpm is not installed (apt-get install php8.2-fpm)")


class Redis:
    """Just enough RESP for the bench: commands on one socket, and MONITOR."""

    def __init__(self, host: str, port: int, db: int | None = None) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.file = self.sock.makefile("rb")
        if db is not None:
            self.call("SELECT", str(db))

    def send(self, *args: str) -> None:
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(parts))

    def reply(self) -> object:
        line = self.file.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self.file.read(size + 2)[:-2].decode("utf-8", "replace")
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise RuntimeError(f"unexpected Redis reply {line!r}")

    def call(self, *args: str) -> object:
        self.send(*args)
        return self.reply()

    def close(self) -> None:
        self.sock.close()


class Servers:
    """php-fpm and nginx in a temporary directory, stopped by PID."""

    def __init__(self, env: dict[str, str]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="celery-bridge-fpm."))
        self.dir.chmod(0o755)  # nginx's workers (nobody) reach php-fpm's socket in it
        self.port = free_port()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = env

    def start(self) -> None:
        sock = self.dir / "fpm.sock"
        env_lines = "\n".join(f"env[{k}] = {v}" for k, v in self.env.items())
        (self.dir / "php-fpm.conf").write_text(
            f"""[global]
pid = {self.dir}/fpm.pid
error_log = {self.dir}/fpm.log
daemonize = no

[bench]
listen = {sock}
listen.mode = 0666
pm = static
pm.max_children = 4
pm.max_requests = 0
clear_env = yes
{env_lines}
php_admin_value[opcache.enable] = 1
php_admin_value[opcache.validate_timestamps] = 0
"""
        )
        temp = self.dir / "nginx-temp"
        temp.mkdir()
        (self.dir / "nginx.conf").write_text(
            f"""worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    fastcgi_temp_path {temp}/fastcgi;
    proxy_temp_path {temp}/proxy;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        root {ENDPOINTS};
        location ~ \\.php$ {{
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            fastcgi_pass unix:{sock};
            fastcgi_keep_conn on;
        }}
    }}
}}
"""
        )
        fpm = [fpm_binary(), "-F", "-y", str(self.dir / "php-fpm.conf")]
        fpm += os.environ.get("BENCH_FPM_ARGS", "").split()
        if os.geteuid() == 0:
            fpm.append("-R")  # the children run as the user that started them
        self.procs.append(subprocess.Popen(fpm))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.procs.append(
            subprocess.Popen(
                [nginx, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                 "-e", str(self.dir / "nginx-error.log")],
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.get("raw_connect.php")
                return
            except OSError:
                for proc in self.procs:
                    if proc.poll() is not None:
                        self.stop()
                        sys.exit(f"fpm bench: {proc.args[0]} exited with {proc.returncode}")
                if time.monotonic() > deadline:
                    self.stop()
                    sys.exit("fpm bench: nginx + php-fpm did not answer within 20 s")
                time.sleep(0.05)

    def get(self, endpoint: str) -> str:
        url = f"http://127.0.0.1:{self.port}/{endpoint}"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
        if body != "queued\n":
            raise RuntimeError(f"{endpoint} answered {body[:300]!r}")
        return body

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT if "nginx" in proc.args[0] else signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def wrk(port: int, endpoint: str, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", "-c4", f"-d{seconds}s", f"http://127.0.0.1:{port}/{endpoint}"],
        check=True, capture_output=True, text=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"fpm bench: {endpoint} had errors under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def prebuilt_message(url: str, path: Path) -> None:
    """The bytes sendTask('tasks.add', [1, 2]) pushes, as a PHP file the raw endpoints include."""
    code = f"""
require {str(ROOT / 'vendor/autoload.php')!r};
$c = new CeleryBridge\\CeleryClient({url!r}, config: ['task_default_queue' => 'bench-prebuilt']);
$c->sendTask('tasks.add', [1, 2]);
$p = parse_url({url!r});
$r = new Redis();
$r->connect($p['host'], $p['port']);
$r->select((int) trim($p['path'] ?? '0', '/'));
file_put_contents({str(path)!r}, '<?php return ' . var_export($r->lPop('bench-prebuilt'), true) . ';');
"""
    subprocess.run(["php", "-r", code], check=True)


def monitor(servers: Servers, host: str, port: int, endpoint: str) -> list[str]:
    """The commands one request sends, as MONITOR shows them (long arguments cut)."""
    watch = Redis(host, port)
    watch.call("MONITOR")
    servers.get(endpoint)
    # A command from this process marks the end: everything before it came from the request.
    marker = Redis(host, port)
    marker.call("ECHO", "fpm-bench-end")
    marker.close()
    lines = []
    while True:
        line = str(watch.reply())
        if "fpm-bench-end" in line:
            break
        command = re.sub(r"^[\d.]+ \[\d+ [^\]]+\] ", "", line)
        lines.append(command if len(command) <= 70 else command[:67] + "...")
    watch.close()
    return lines


def redis_target(tool: str) -> tuple[str, str, int, int]:
    """CELERY_BROKER_URL, the Redis the endpoints publish to, and its host, port and database."""
    url = os.environ.get("CELERY_BROKER_URL") or sys.exit(
        f"{tool}: set CELERY_BROKER_URL (tests/run_with_redis.sh does)"
    )
    parts = urllib.parse.urlsplit(url)
    return url, parts.hostname or "127.0.0.1", parts.port or 6379, int((parts.path or "/0").strip("/") or 0)


def main() -> None:
    url, host, port, db = redis_target("fpm bench")
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    seconds = int(os.environ.get("BENCH_SECONDS", "6"))

    servers = Servers({
        "BENCH_ROOT": str(ROOT),
        "BENCH_REDIS_HOST": host,
        "BENCH_REDIS_PORT": str(port),
        "CELERY_BROKER_URL": url,
        "BENCH_MESSAGE": "",
    })
    message = servers.dir / "message.php"
    servers.env["BENCH_MESSAGE"] = str(message)
    prebuilt_message(url, message)
    redis = Redis(host, port, db)
    servers.start()
    try:
        endpoints = [e for group in MODES.values() for e in group]
        for endpoint in endpoints:  # warm opcache and every child's sockets
            wrk(servers.port, endpoint, 1)
        rates: dict[str, list[float]] = {e: [] for e in endpoints}
        for _ in range(rounds):
            for endpoint in endpoints:
                redis.call("DEL", *QUEUES)
                rates[endpoint].append(wrk(servers.port, endpoint, seconds))
                queued = sum(int(redis.call("LLEN", q)) for q in QUEUES)
                if queued == 0:
                    sys.exit(f"fpm bench: {endpoint} queued nothing")
        redis.call("DEL", *QUEUES)
        print(
            f"PHP-FPM (nginx, php-fpm pm=static 4 children, opcache on), wrk -t1 -c4, "
            f"median of {rounds} alternating rounds of {seconds} s:"
        )
        for mode, (raw, *others) in MODES.items():
            raw_rate = statistics.median(rates[raw])
            print(f"  {mode:<11} {raw:<22} {raw_rate:8.0f} req/s")
            for other in others:
                rate = statistics.median(rates[other])
                spread = [o / r for o, r in zip(rates[other], rates[raw], strict=True)]
                print(
                    f"  {'':<11} {other:<22} {rate:8.0f} req/s   ratio {rate / raw_rate:.2f}"
                    f"   (rounds {min(spread):.2f}-{max(spread):.2f})"
                )
        print("Redis commands of one request (MONITOR, on an FPM child that served requests before):")
        for endpoint in endpoints:
            commands = monitor(servers, host, port, endpoint)
            redis.call("DEL", *QUEUES)
            print(f"  {endpoint}: {len(commands)}")
            for command in commands:
                print(f"    {command}")
    finally:
        redis.close()
        servers.stop()


if __name__ == "__main__":
    main()
