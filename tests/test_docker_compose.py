"""docker-compose.yml, checked without a container engine: it must agree with the code."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

import python_worker
from harness import REPO_ROOT

PIN = re.compile(r"'?([A-Za-z0-9_.-]+(?:\[[a-z,]+\])?)==([0-9][^\s']*)'?")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return dict(PIN.fullmatch(spec).groups() for spec in project["dependencies"])


def command_text(service: dict[str, Any]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def mounts(service: dict[str, Any]) -> dict[str, str]:
    return dict(volume.split(":", 1) for volume in service["volumes"])


def test_services_exist(compose: dict[str, Any]) -> None:
    assert {"redis", "worker", "php"} <= set(compose["services"])
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    assert compose["services"]["worker"]["image"].startswith("python:3.11")
    assert compose["services"]["php"]["image"].startswith("php:8.2")


def test_worker_runs_the_python_worker_app(compose: dict[str, Any]) -> None:
    words = shlex.split(command_text(compose["services"]["worker"]))
    start = words.index("celery")
    assert words[start : start + 4] == ["celery", "-A", "python_worker", "worker"]


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
        assert "redis" in compose["services"][name]["depends_on"]


def test_worker_pins_match_pyproject(compose: dict[str, Any], pyproject_pins: dict[str, str]) -> None:
    compose_pins = dict(PIN.findall(command_text(compose["services"]["worker"])))
    assert compose_pins["celery[redis]"] == pyproject_pins["celery[redis]"] == "5.7.0"
    assert compose_pins == pyproject_pins


def test_php_service_installs_phpredis_and_runs_the_demo(compose: dict[str, Any]) -> None:
    text = command_text(compose["services"]["php"])
    assert "pecl install redis" in text
    assert "php examples/demo.php" in text
    autoload = compose["services"]["php"]["depends_on"]["autoload"]
    assert autoload["condition"] == "service_completed_successfully"


def test_services_mount_the_repository(compose: dict[str, Any]) -> None:
    for name in ("worker", "php", "autoload"):
        service = compose["services"][name]
        assert mounts(service) == {".": service["working_dir"]}, name
    assert (REPO_ROOT / "examples" / "demo.php").is_file()
    assert Path(REPO_ROOT, "python_worker", "__init__.py").is_file()
