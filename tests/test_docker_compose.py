"""docker-compose.yml and docker/, checked without a container engine: they must agree with the
code, the harness and the pins (CI runs no Docker)."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.utils import canonicalize_name

import external
import matrix
import python_worker
from harness import REPO_ROOT, WORKER_POOL
from python_worker.ready import HEARTBEAT_SECONDS
from tools import generate_pins

BASE_IMAGE = "debian:bookworm-slim"
TEST_COMMAND = "--profile test up --build --exit-code-from tests tests"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def dockerfile(service: dict[str, Any]) -> str:
    build = service["build"]
    assert build["context"] == "."
    return (REPO_ROOT / build["dockerfile"]).read_text()


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def runs(text: str) -> str:
    return " ".join(arguments for instruction, arguments in instructions(text) if instruction == "RUN")


def test_services_exist_on_the_debian_base_the_tests_run_on(compose: dict[str, Any]) -> None:
    """Debian 12's packages (PHP 8.2, phpredis 5.3.7, Python 3.11, Redis 7.0) are what `make
    install` puts on the machine every test runs on."""
    assert set(compose["services"]) == {"redis", "worker", "php", "tests"}
    for name, service in compose["services"].items():
        assert "image" not in service, name
        assert instructions(dockerfile(service))[0] == ("FROM", BASE_IMAGE), name
    assert "redis-server" in runs(dockerfile(compose["services"]["redis"]))


def test_every_container_runs_as_a_non_root_user(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        steps = instructions(dockerfile(service))
        users = [arguments for instruction, arguments in steps if instruction == "USER"]
        assert users and users[-1] not in ("root", "0") and not users[-1].startswith("0:"), name
        # The user exists: made in the image, or the package's own (redis-server's "redis").
        made = f"useradd --no-create-home --uid 10001 --home-dir /app --shell /usr/sbin/nologin {users[-1]}"
        assert made in runs(dockerfile(service)) or (name, users[-1]) == ("redis", "redis"), name
        assert service.get("user") in (None, users[-1]), name


def test_worker_runs_the_python_worker_app_with_its_hostname(compose: dict[str, Any]) -> None:
    steps = dict(instructions(dockerfile(compose["services"]["worker"])))
    words = json.loads(steps["CMD"])
    assert words[:4] == ["celery", "-A", "python_worker", "worker"]
    assert words[words.index("--hostname") + 1] == "docker@%h"
    # As the harness's own workers (harness.CeleryWorker.command()): no events on the broker
    # that the tests watching it would see.
    assert {"--without-gossip", "--without-mingle", "--without-heartbeat"} <= set(words)
    assert words[words.index("--pool") + 1] == WORKER_POOL and words[words.index("--concurrency") + 1] == "1"
    assert "COPY" in steps and "python_worker" in steps["COPY"]


def test_environment_names_are_the_ones_python_worker_reads(compose: dict[str, Any]) -> None:
    for name in ("worker", "php"):
        environment = compose["services"][name]["environment"]
        assert set(environment) <= set(python_worker.ENV_VARS), name
        assert python_worker.BROKER_URL_ENV in environment
        assert python_worker.RESULT_BACKEND_ENV in environment


def test_urls_point_at_the_redis_service(compose: dict[str, Any]) -> None:
    for name in ("worker", "php"):
        environment = compose["services"][name]["environment"]
        broker = urlsplit(environment[python_worker.BROKER_URL_ENV])
        backend = urlsplit(environment[python_worker.RESULT_BACKEND_ENV])
        for url in (broker, backend):
            assert (url.scheme, url.hostname, url.port) == ("redis", "redis", 6379)
        assert broker.path != backend.path, "broker and results share a database"
        assert compose["services"][name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_images_install_the_pins_of_pyproject_constrained_by_constraints_txt(compose: dict[str, Any]) -> None:
    for name in ("worker", "tests"):
        steps = instructions(dockerfile(compose["services"][name]))
        run = runs(dockerfile(compose["services"][name]))
        # The top-level pins are read from pyproject.toml inside the build, so they cannot drift;
        # constraints.txt pins everything else pip picks, and pip check fails an incomplete set.
        assert ("COPY", "pyproject.toml constraints.txt ./") in steps, name
        assert 'tomllib.load(open("pyproject.toml", "rb"))["project"]' in run, name
        install = "--disable-pip-version-check -r requirements.txt -c constraints.txt"
        assert install in run, name
        assert "/opt/venv/bin/pip check" in run, name
    worker_run = runs(dockerfile(compose["services"]["worker"]))
    assert '["project"]["dependencies"]' in worker_run and "optional-dependencies" not in worker_run


def test_constraints_txt_is_current_with_pyproject() -> None:
    """constraints.txt is what tests/tools/generate_pins.py writes now (regenerate it after a
    pin changes), every pin of pyproject.toml is in it as written, and the set is closed and
    consistent: every dependency of every pinned package is pinned, at a release it accepts."""
    text = (REPO_ROOT / "constraints.txt").read_text()
    regenerate = "run: make pins (or .venv/bin/python tests/tools/generate_pins.py > constraints.txt)"
    assert text == generate_pins.render(), regenerate
    pins = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    for requirement in generate_pins.top_level():
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{requirement} is not an exact pin"
        assert pins[canonicalize_name(requirement.name)] == specifier.version, requirement
    tree = generate_pins.closure(generate_pins.top_level())
    assert set(tree) == set(pins)
    for name, (_, wanted_by) in tree.items():
        for requirement in wanted_by:
            assert requirement.specifier.contains(pins[name], prereleases=True), (pins[name], requirement)


def test_redis_is_healthy_only_when_it_answers_pong(compose: dict[str, Any]) -> None:
    # redis-cli exits 0 on an error reply (LOADING, NOAUTH, MISCONF): only the reply counts.
    check = compose["services"]["redis"]["healthcheck"]["test"]
    assert check == ["CMD-SHELL", "redis-cli ping | grep -qx PONG"]
    for name in ("worker", "php", "tests"):
        assert compose["services"][name]["depends_on"]["redis"]["condition"] == "service_healthy", name


def test_worker_health_is_its_heartbeat_file(compose: dict[str, Any]) -> None:
    """Healthy = python_worker/ready.py rewrote CELERY_READY_FILE lately (it does while it
    consumes; tests/test_worker_health.py): a `find`, not a Python process, every few seconds."""
    worker = compose["services"]["worker"]
    path = worker["environment"][python_worker.ready.READY_FILE_ENV]
    test = worker["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    words = shlex.split(test[1])
    assert words[:3] == ["find", path, "-newermt"] and words[4:] == ["|", "grep", "-q", "."]
    window = int(re.fullmatch(r"-(\d+) seconds", words[3])[1])
    assert 2 * HEARTBEAT_SECONDS <= window <= 4 * HEARTBEAT_SECONDS
    assert not {"celery", "python", "python3"} & set(words)
    # A worker that lost its broker turns unhealthy within seconds, not after a minute of retries.
    assert worker["healthcheck"]["retries"] <= 5 and "start_period" in worker["healthcheck"]
    for name in ("php", "tests"):
        assert compose["services"][name]["depends_on"]["worker"]["condition"] == "service_healthy", name


def test_worker_settings_serve_the_tests_and_fail_fast(compose: dict[str, Any]) -> None:
    config = json.loads(compose["services"]["worker"]["environment"][python_worker.CONFIG_JSON_ENV])
    assert set(external.SESSION_WORKER_CONFIG["accept_content"]) <= set(config["accept_content"])
    # Celery's default is 100 retries (minutes of waiting on a wrong URL); the real worker's
    # behaviour with these settings: tests/test_worker_health.py.
    assert 1 <= config["broker_connection_max_retries"] <= 5


def test_test_profile_runs_the_interop_suites_on_compose_redis_and_worker(compose: dict[str, Any]) -> None:
    services = compose["services"]
    tests = services["tests"]
    assert tests["profiles"] == ["test"]
    # The demo stays the default `up`: only the tests service has a profile.
    assert all("profiles" not in service for name, service in services.items() if name != "tests")
    # `up ... tests` starts tests and what it depends on, not the demo (whose exit would stop
    # every container under --exit-code-from).
    started, todo = set(), ["tests"]
    while todo:
        name = todo.pop()
        started.add(name)
        todo.extend(set(services[name].get("depends_on", {})) - started)
    assert started == {"tests", "redis", "worker"}
    environment = tests["environment"]
    assert urlsplit(environment[external.REDIS_ENV])[:3] == ("redis", "redis:6379", "")
    assert environment[external.WORKER_ENV] == "1"
    steps = dict(instructions(dockerfile(tests)))
    assert json.loads(steps["CMD"]) == ["docker/run-tests.sh"]
    script = (REPO_ROOT / "docker" / "run-tests.sh").read_text()
    suites = re.findall(r"tests/test_\w+\.py", script)
    # The files of tests/matrix.py's areas, in that order (the files `make matrix` runs).
    areas = ("publish", "results", "canvas", "revoke")
    assert suites == [file for area in areas for file in matrix.AREAS[area]]
    assert all((REPO_ROOT / suite).is_file() for suite in suites)
    assert "phpunit --testsuite integration" in script and "CELERY_BRIDGE_REQUIRE_INTEGRATION=1" in script
    assert "|| status=1" in script and 'exit "$status"' in script


def test_commands_are_documented_for_both_compose_versions(compose: dict[str, Any]) -> None:
    header = (REPO_ROOT / "docker-compose.yml").read_text()
    readme = (REPO_ROOT / "README.md").read_text()
    for text in (header, readme):
        assert f"docker compose {TEST_COMMAND}" in text
        assert "docker compose --profile test down" in text
    assert f"docker-compose {TEST_COMMAND}" in readme and "docker-compose" in header


def test_php_image_has_debians_phpredis_the_library_its_cli_and_autoloader(compose: dict[str, Any]) -> None:
    steps = instructions(dockerfile(compose["services"]["php"]))
    run = runs(dockerfile(compose["services"]["php"]))
    assert "apt-get install -y --no-install-recommends php-cli php-redis" in run
    assert "pecl" not in run
    copied = [arguments.split()[0] for instruction, arguments in steps if instruction == "COPY"]
    assert {"composer.json", "php/src", "bin", "examples"} <= set(copied)
    assert "composer dump-autoload --no-dev" in run
    assert json.loads(dict(steps)["CMD"]) == ["php", "examples/demo.php"]
    assert (REPO_ROOT / "examples" / "demo.php").is_file()


def test_nothing_writes_into_the_checkout(compose: dict[str, Any]) -> None:
    """No service mounts the repository: a container running as root would leave root-owned
    files (vendor/, __pycache__) in the user's checkout."""
    for name, service in compose["services"].items():
        assert "volumes" not in service, name
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {".venv", "vendor", ".matrix"} <= set(ignored)
