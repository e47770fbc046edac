"""docker-compose.yml, checked without a container engine: it must agree with the code."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

import python_worker
from harness import REPO_ROOT


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


def test_services_exist(compose: dict[str, Any]) -> None:
    assert {"redis", "worker", "php"} <= set(compose["services"])
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    assert instructions(dockerfile(compose["services"]["worker"]))[0] == ("FROM", "python:3.11-slim")
    assert instructions(dockerfile(compose["services"]["php"]))[0] == ("FROM", "php:8.2-cli")


def test_worker_runs_the_python_worker_app_with_its_hostname(compose: dict[str, Any]) -> None:
    steps = dict(instructions(dockerfile(compose["services"]["worker"])))
    words = json.loads(steps["CMD"])
    assert words[:4] == ["celery", "-A", "python_worker", "worker"]
    assert words[words.index("--hostname") + 1] == "docker@%h"
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


def test_worker_installs_the_pins_of_pyproject(compose: dict[str, Any]) -> None:
    steps = instructions(dockerfile(compose["services"]["worker"]))
    run = " ".join(arguments for instruction, arguments in steps if instruction == "RUN")
    # The pins are read from pyproject.toml inside the build, so they cannot drift.
    assert ("COPY", "pyproject.toml ./") in steps
    assert 'tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]' in run
    assert "pip install" in run and "-r requirements.txt" in run


def test_php_waits_for_a_worker_that_answers_ping(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    check = " ".join(worker["healthcheck"]["test"])
    assert "celery -A python_worker inspect ping" in check
    # $$ is compose's escape: the container's shell expands $HOSTNAME, as %h is in --hostname.
    assert "--destination docker@$$HOSTNAME" in check
    assert compose["services"]["php"]["depends_on"]["worker"]["condition"] == "service_healthy"


def test_php_image_has_phpredis_the_library_and_its_autoloader(compose: dict[str, Any]) -> None:
    steps = instructions(dockerfile(compose["services"]["php"]))
    run = " ".join(arguments for instruction, arguments in steps if instruction == "RUN")
    assert re.search(r"pecl install redis-[0-9.]+ && docker-php-ext-enable redis", run)
    copied = [arguments.split()[0] for instruction, arguments in steps if instruction == "COPY"]
    assert {"composer.json", "php/src", "examples"} <= set(copied)
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
