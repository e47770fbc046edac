"""Instructions of one PHP-FPM request (callgrind), which the machine's load does not move.

php-fpm (opcache on, pm = static) runs under `valgrind --tool=callgrind --trace-children=yes`
with one pool of one child per figure; this script speaks FastCGI to the children directly (no
nginx: the web server's work is not PHP's). A first child serves one request of each endpoint
(opcache compiles the scripts then); the "base" child then serves BASE (20) requests of every
endpoint of bench/fpm/ (each persistent socket is opened in it), and for each endpoint a child
serves the same and EXTRA more of that endpoint. That child's instructions minus the base
child's, over EXTRA, is what one more request of the endpoint costs once a child is warm:
starting and stopping a child and its first requests cancel out.

    tests/run_with_redis.sh .venv/bin/python bench/fpm_instructions.py

BENCH_FPM_PRELOAD=1 measures only with opcache.preload (php/preload.php), =0 only without; by
default both. BENCH_FPM_EXTRA sets EXTRA (200). BENCH_FPM_KEEP=DIR keeps each child's callgrind
profile there (callgrind.out.base, callgrind.out.ep_celery_fresh, ...) for
`callgrind_annotate --inclusive=yes`. BENCH_FPM_ENDPOINTS=a.php,b.php measures these instead
(any PHP file in bench/fpm/ that answers "queued"). BENCH_FPM_ARGS adds php-fpm arguments, e.g.
"-d opcache.jit_buffer_size=64M -d opcache.jit=tracing".
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fpm import ENDPOINTS, MODES, QUEUES, ROOT, Redis, fpm_binary, prebuilt_message, redis_target  # noqa: E402

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


def pool(endpoint: str) -> str:
    return "ep_" + re.sub(r"\W", "_", Path(endpoint).stem)


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


def run(
    env: dict[str, str], pools: dict[str, list[str]], preload: bool
) -> tuple[dict[str, int], dict[str, bytes]]:
    """One php-fpm under callgrind with a pool of one child for each entry of `pools`, which
    serves that list of requests (endpoint names, in order); the instructions of each child,
    and its profile."""
    workdir = Path(tempfile.mkdtemp(prefix="celery-bridge-fpm-ir."))
    try:
        env_lines = "\n".join(f"env[{k}] = {v}" for k, v in env.items())
        # A first pool serves one request of each endpoint alone: opcache compiles the scripts in
        # it, so that no measured child does.
        warm = sorted({e for requests in pools.values() for e in requests})
        every = {"warm": warm, **pools}
        config = f"""[global]
pid = {workdir}/fpm.pid
error_log = {workdir}/fpm.log
log_level = debug
daemonize = no
"""
        for name, requests in every.items():
            # pm.max_requests is the number of requests: the child exits by itself after the
            # last one and callgrind writes its profile (php-fpm's master would kill it on
            # shutdown before callgrind is done). The child the master starts next is not counted.
            config += f"""
[{name}]
listen = {workdir}/{name}.sock
pm = static
pm.max_children = 1
pm.max_requests = {len(requests)}
clear_env = yes
{env_lines}
php_admin_value[opcache.enable] = 1
php_admin_value[opcache.validate_timestamps] = 0
"""
        (workdir / "php-fpm.conf").write_text(config)
        cmd = [
            "valgrind", "--tool=callgrind", "--trace-children=yes",
            f"--callgrind-out-file={workdir}/callgrind.out.%p",
            fpm_binary(), "-F", "-y", str(workdir / "php-fpm.conf"),
            *shlex.split(os.environ.get("BENCH_FPM_ARGS", "")),
        ]
        if preload:
            user = pwd.getpwuid(os.geteuid()).pw_name
            cmd += ["-d", f"opcache.preload={ROOT / 'php/preload.php'}", "-d", f"opcache.preload_user={user}"]
        if os.geteuid() == 0:
            cmd.append("-R")
        master = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        failures: list[str] = []

        def serve(name: str) -> None:
            try:
                for endpoint in every[name]:
                    body = fastcgi_get(workdir / f"{name}.sock", ENDPOINTS / endpoint)
                    if body != "queued\n":
                        failures.append(f"{endpoint} answered {body[:300]!r}")
                        return
            except OSError as e:
                failures.append(f"{name}: {e}")

        try:
            while not all(listening(workdir / f"{name}.sock") for name in every):
                if master.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"fpm instructions: php-fpm did not start\n{read(workdir / 'fpm.log')}")
                time.sleep(0.05)
            serve("warm")
            # The measured children run at the same time (one thread each).
            threads = [threading.Thread(target=serve, args=(name,)) for name in pools]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if failures:
                sys.exit(f"fpm instructions: {failures[0]}")
            # The first child php-fpm's log names for a pool is the one that served it (with
            # opcache.preload as root, php-fpm also forks a process that preloads and exits).
            totals: dict[str, int] = {}
            profiles: dict[str, bytes] = {}
            while len(totals) < len(pools):
                if time.monotonic() > deadline:
                    sys.exit("fpm instructions: a child's profile was not written")
                time.sleep(0.1)
                log = read(workdir / "fpm.log")
                for name in pools:
                    started = re.search(rf"\[pool {name}\] child (\d+) started", log)
                    profile = workdir / f"callgrind.out.{started.group(1)}" if started else None
                    total = profile_total(profile) if profile is not None and profile.exists() else None
                    if total is not None and name not in totals:
                        totals[name] = total
                        profiles[name] = profile.read_bytes()
        finally:
            master.send_signal(signal.SIGTERM)
            master.wait(timeout=120)
        return totals, profiles
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    url, host, port, db = redis_target("fpm instructions")
    extra = int(os.environ.get("BENCH_FPM_EXTRA", "200"))
    keep = Path(os.environ["BENCH_FPM_KEEP"]).resolve() if os.environ.get("BENCH_FPM_KEEP") else None
    preloads = {"0": [False], "1": [True]}.get(os.environ.get("BENCH_FPM_PRELOAD", ""), [False, True])
    endpoints = [e for group in MODES.values() for e in group]
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
            f"PHP-FPM instructions per request (callgrind; php-fpm, opcache on, a child per figure: "
            f"{BASE} of each endpoint + {extra} of one, minus {BASE} of each, over {extra}):"
        )
        for preload in preloads:
            title = "with opcache.preload=php/preload.php" if preload else "without preloading"
            print(f"  {title}")
            pools = {"base": base, **{pool(e): base + [e] * extra for e in measured}}
            totals, profiles = run(env, pools, preload)
            redis.call("DEL", *QUEUES)
            results = {e: (totals[pool(e)] - totals["base"]) // extra for e in measured}
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                for name, profile in profiles.items():
                    (keep / f"callgrind.out.{name}{'-preload' if preload else ''}").write_bytes(profile)
            for mode, (raw, *others) in MODES.items():
                if raw in results:
                    print(f"    {mode:<11} {raw:<22} {results[raw]:9d} instructions")
                for other in [o for o in others if o in results]:
                    ratio = (
                        f"   {results[other] / results[raw]:.1f}x raw, {results[other] - results[raw]:+7d}"
                        if raw in results else ""
                    )
                    print(f"    {'':<11} {other:<22} {results[other]:9d} instructions{ratio}")
            for endpoint in [e for e in measured if e not in endpoints]:
                print(f"    {'other':<11} {endpoint:<22} {results[endpoint]:9d} instructions")
    finally:
        redis.call("DEL", *QUEUES)
        redis.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
