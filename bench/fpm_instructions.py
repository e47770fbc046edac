"""Instructions of one PHP-FPM request (callgrind), which the machine's load does not move.

php-fpm (opcache on, pm = static, 1 child) runs under `valgrind --tool=callgrind
--trace-children=yes`; this script speaks FastCGI to it directly (no nginx: the web server's
work is not PHP's). One run serves BASE requests of every endpoint of bench/fpm/ (opcache
compiles each file in it, every persistent socket is opened); a second run serves the same and
EXTRA more of one endpoint. The child's instructions of the second run minus those of the first,
over EXTRA, is what one more request of that endpoint costs once the child is warm: starting
and stopping php-fpm and the first requests cancel out.

    tests/run_with_redis.sh .venv/bin/python bench/fpm_instructions.py

BENCH_FPM_PRELOAD=1 measures only with opcache.preload (php/preload.php), =0 only without;
by default both. BENCH_FPM_EXTRA sets EXTRA (200), BENCH_FPM_KEEP=DIR keeps the callgrind files
(callgrind.out.<pid>; the child's is the one that is not php-fpm's master) for
callgrind_annotate --inclusive=yes. BENCH_FPM_ENDPOINTS=a.php,b.php measures only these (the
first run still serves every endpoint of bench/fpm/).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fpm import ENDPOINTS, MODES, QUEUES, ROOT, Redis, fpm_binary, prebuilt_message  # noqa: E402

BASE = 20

# FastCGI record types (the FastCGI 1.0 specification).
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7


def record(kind: int, content: bytes) -> bytes:
    return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content


def pair(name: str, value: str) -> bytes:
    def length(data: bytes) -> bytes:
        return struct.pack(">B", len(data)) if len(data) < 128 else struct.pack(">I", len(data) | 0x80000000)

    n, v = name.encode(), value.encode()
    return length(n) + length(v) + n + v


def fastcgi_get(sock_path: Path, script: Path) -> str:
    """One GET request of `script`; the body php-fpm answered (headers cut)."""
    params = {
        "SCRIPT_FILENAME": str(script),
        "SCRIPT_NAME": "/" + script.name,
        "REQUEST_URI": "/" + script.name,
        "DOCUMENT_ROOT": str(script.parent),
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "0",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
    }
    body = b"".join(pair(k, v) for k, v in params.items())
    request = (
        record(BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))
        + record(PARAMS, body) + record(PARAMS, b"") + record(STDIN, b"")
    )
    out = b""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(60)
        s.connect(str(sock_path))
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    while len(data) >= 8:
        _, kind, _, length, padding = struct.unpack(">BBHHBx", data[:8])
        content, data = data[8:8 + length], data[8 + length + padding:]
        if kind == STDOUT:
            out += content
        elif kind == STDERR:
            raise RuntimeError(f"{script.name}: {content.decode(errors='replace')}")
    text = out.decode(errors="replace")
    return text.split("\r\n\r\n", 1)[-1]


def read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def listening(sock_path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(sock_path))
        except OSError:
            return False
    return True


def profile_total(path: Path) -> int | None:
    """The instructions of a complete callgrind profile (its last line is "totals: N"), else None."""
    lines = path.read_text(errors="replace").splitlines()
    return int(lines[-1].split()[1]) if lines and lines[-1].startswith("totals:") else None


def run(env: dict[str, str], requests: list[str], preload: bool, keep: Path | None, label: str) -> int:
    """The instructions of php-fpm's child that served `requests` (endpoint names, in order)."""
    workdir = Path(tempfile.mkdtemp(prefix="celery-bridge-fpm-ir."))
    try:
        sock = workdir / "fpm.sock"
        env_lines = "\n".join(f"env[{k}] = {v}" for k, v in env.items())
        (workdir / "php-fpm.conf").write_text(
            f"""[global]
pid = {workdir}/fpm.pid
error_log = {workdir}/fpm.log
log_level = debug
daemonize = no

[bench]
listen = {sock}
pm = static
pm.max_children = 1
pm.max_requests = {len(requests)}
clear_env = yes
{env_lines}
php_admin_value[opcache.enable] = 1
php_admin_value[opcache.validate_timestamps] = 0
"""
        )
        cmd = [
            "valgrind", "--tool=callgrind", "--trace-children=yes",
            f"--callgrind-out-file={workdir}/callgrind.out.%p",
            fpm_binary(), "-F", "-y", str(workdir / "php-fpm.conf"),
        ]
        if preload:
            user = pwd.getpwuid(os.geteuid()).pw_name
            cmd += ["-d", f"opcache.preload={ROOT / 'php/preload.php'}", "-d", f"opcache.preload_user={user}"]
        if os.geteuid() == 0:
            cmd.append("-R")
        master = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 300
            while not listening(sock):
                if master.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"fpm instructions: php-fpm did not start\n{read(workdir / 'fpm.log')}")
                time.sleep(0.05)
            for endpoint in requests:
                body = fastcgi_get(sock, ENDPOINTS / endpoint)
                if body != "queued\n":
                    sys.exit(f"fpm instructions: {endpoint} answered {body[:300]!r}")
            # pm.max_requests is the number of requests: the child exits by itself after the last
            # one, and callgrind writes its profile (php-fpm's master would kill it on shutdown
            # before callgrind is done). The master starts a new child, which is not counted.
            # (The first child php-fpm's log names is the one; with opcache.preload as root,
            # php-fpm also forks a process that preloads and exits, which is not a child.)
            child = None
            total = None
            while total is None:
                if time.monotonic() > deadline:
                    sys.exit("fpm instructions: the child's profile was not written")
                time.sleep(0.1)
                if child is None:
                    started = re.search(r"child (\d+) started", read(workdir / "fpm.log"))
                    child = workdir / f"callgrind.out.{started.group(1)}" if started else None
                if child is not None and child.exists():
                    total = profile_total(child)
        finally:
            master.send_signal(signal.SIGTERM)
            master.wait(timeout=120)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(child, keep / f"callgrind.out.{label}")
        return total
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    url = os.environ.get("CELERY_BROKER_URL") or sys.exit(
        "fpm instructions: set CELERY_BROKER_URL (tests/run_with_redis.sh does)"
    )
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    db = int((parts.path or "/0").strip("/") or 0)
    extra = int(os.environ.get("BENCH_FPM_EXTRA", "200"))
    keep = Path(os.environ["BENCH_FPM_KEEP"]).resolve() if os.environ.get("BENCH_FPM_KEEP") else None
    preloads = {"0": [False], "1": [True]}.get(os.environ.get("BENCH_FPM_PRELOAD", ""), [False, True])
    endpoints = [e for pair_ in MODES.values() for e in pair_]
    measured = [e for e in os.environ.get("BENCH_FPM_ENDPOINTS", "").split(",") if e] or endpoints

    workdir = Path(tempfile.mkdtemp(prefix="celery-bridge-fpm-msg."))
    workdir.chmod(0o755)
    message = workdir / "message.php"
    prebuilt_message(url, message)
    env = {
        "BENCH_ROOT": str(ROOT),
        "BENCH_REDIS_HOST": host,
        "BENCH_REDIS_PORT": str(port),
        "CELERY_BROKER_URL": url,
        "BENCH_MESSAGE": str(message),
    }
    redis = Redis(host, port, db)
    base = [e for e in dict.fromkeys(endpoints + measured) for _ in range(BASE)]
    try:
        print(
            f"PHP-FPM instructions per request (callgrind, php-fpm pm=static 1 child, opcache on; "
            f"{BASE} of each endpoint + {extra} of one, minus {BASE} of each, over {extra}):"
        )
        for preload in preloads:
            title = "with opcache.preload=php/preload.php" if preload else "without preloading"
            print(f"  {title}")
            first = run(env, base, preload, keep, f"base{'-preload' if preload else ''}")
            results: dict[str, int] = {}
            for endpoint in measured:
                label = f"{Path(endpoint).stem}{'-preload' if preload else ''}"
                total = run(env, base + [endpoint] * extra, preload, keep, label)
                results[endpoint] = (total - first) // extra
                redis.call("DEL", *QUEUES)
            for mode, (raw, lib) in MODES.items():
                if raw in results:
                    print(f"    {mode:<11} {raw:<22} {results[raw]:9d} instructions")
                if lib in results:
                    ratio = f"   {results[lib] / results[raw]:.1f}x raw" if raw in results else ""
                    print(f"    {'':<11} {lib:<22} {results[lib]:9d} instructions{ratio}")
            for endpoint in [e for e in measured if e not in endpoints]:
                print(f"    {'other':<11} {endpoint:<22} {results[endpoint]:9d} instructions")
    finally:
        redis.call("DEL", *QUEUES)
        redis.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
