"""Issue 12: a Python project's celeryconfig passed to CeleryClient as it is.

Every setting name Celery knows is accepted (php/src/Config/CelerySettings.php lists them, from
the pinned Celery); broker_url and result_backend stand in for the constructor arguments; the
content settings are checked against what CeleryBridge writes; a typo still fails, with a
suggestion.
"""

from __future__ import annotations

import json
from pathlib import Path

import databases
from harness import CeleryWorker, RedisServer, generator_output

ROOT = Path(__file__).resolve().parent.parent

# The configuration example of Celery's documentation ("Configuration and defaults"), with the
# project's Redis URLs in place of its placeholders.
CELERYCONFIG = {
    "broker_url": None,
    "result_backend": None,
    "imports": ["myapp.tasks"],
    "task_serializer": "json",
    "result_serializer": "json",
    "accept_content": ["json"],
    "timezone": "Europe/Oslo",
    "enable_utc": True,
    "task_routes": {"tasks.mul": "low-priority"},
    "task_annotations": {"tasks.add": {"rate_limit": "10/s"}},
    "task_track_started": True,
    "result_extended": True,
    "task_acks_late": True,
    "worker_prefetch_multiplier": 1,
    "worker_concurrency": 4,
    "broker_connection_retry_on_startup": True,
}


def run(run_php, config: dict) -> dict:
    return run_php.file("celery_settings.php", env={"CB_CONFIG": json.dumps(config)}, args=["add"]).json()


def test_a_celeryconfig_from_celerys_docs_works_unchanged(
    worker: CeleryWorker, run_php, redis_server: RedisServer
) -> None:
    config = {
        **CELERYCONFIG,
        "broker_url": redis_server.url(databases.BROKER),
        "result_backend": redis_server.url(databases.BACKEND),
    }

    assert run(run_php, config) == {"value": 5}


def test_typos_and_content_settings_that_cannot_work_are_refused(run_php, redis_server: RedisServer) -> None:
    base = {"broker_url": redis_server.url(databases.BROKER)}

    typo = run(run_php, {**base, "task_serialiser": "json"})["error"]
    assert 'Unknown setting "task_serialiser". Did you mean "task_serializer"?' in typo
    assert "pickle" in run(run_php, {**base, "result_serializer": "pickle"})["error"]
    refused = run(run_php, {**base, "accept_content": ["pickle"]})["error"]
    assert 'accept_content must include "json"' in refused
    assert "No broker" in run(run_php, {"task_default_queue": "celery"})["error"]


def test_the_settings_list_is_the_pinned_celerys() -> None:
    committed = (ROOT / "php/src/Config/CelerySettings.php").read_text()
    assert generator_output("generate_celery_settings.py") == committed


# One celeryconfig in each form Celery reads: the new names, the old upper-case ones (Celery 3,
# still read by 5.7), and Django's app.config_from_object(..., namespace='CELERY').
ERAS = ("new", "old", "django")
ERA_NAMES = [  # one setting's names, in the order of ERAS
    ("broker_url", "BROKER_URL", "CELERY_BROKER_URL"),
    ("result_backend", "CELERY_RESULT_BACKEND", "CELERY_RESULT_BACKEND"),
    ("task_default_queue", "CELERY_DEFAULT_QUEUE", "CELERY_TASK_DEFAULT_QUEUE"),
    ("task_routes", "CELERY_ROUTES", "CELERY_TASK_ROUTES"),
    ("task_serializer", "CELERY_TASK_SERIALIZER", "CELERY_TASK_SERIALIZER"),
]


def era_config(form: str, broker: str, backend: str) -> dict:
    values = (broker, backend, "era-default", {"tasks.log": "era-routed"}, "json")
    column = ERAS.index(form)
    return {names[column]: value for names, value in zip(ERA_NAMES, values, strict=True)}


def test_settings_of_every_celery_era_send_to_the_configured_queue(
    worker_factory, run_php, redis_server: RedisServer
) -> None:
    worker_factory(
        redis_server.url(databases.BROKER),
        redis_server.url(databases.BACKEND),
        queues=["era-default", "era-routed"],
    )

    for form in ERAS:
        config = era_config(form, redis_server.url(databases.BROKER), redis_server.url(databases.BACKEND))
        env = {"CB_CONFIG": json.dumps(config)}
        out = run_php.file("celery_settings.php", env=env, args=["queues"]).json()
        assert out == {"default": "era-default", "routed": "era-routed"}, form


def test_old_and_new_names_cannot_be_mixed_as_in_celery(run_php, redis_server: RedisServer) -> None:
    """Celery's ImproperlyConfigured("Cannot mix new and old setting keys"), and "Did you mean"
    for a near miss of each form."""
    mixed = run(run_php, {"broker_url": redis_server.url(databases.BROKER), "CELERY_DEFAULT_QUEUE": "q"})[
        "error"
    ]
    assert "Cannot mix Celery's old setting names with the new ones" in mixed
    assert "CELERY_DEFAULT_QUEUE -> task_default_queue" in mixed

    for typo, meant in [
        ("CELERY_DEFAULT_QUEU", "CELERY_DEFAULT_QUEUE"),
        ("CELERY_TASK_DEFAULT_QUEU", "CELERY_TASK_DEFAULT_QUEUE"),
        ("BROKER_URLL", "BROKER_URL"),
    ]:
        error = run(run_php, {"BROKER_URL": redis_server.url(databases.BROKER), typo: "q"})["error"]
        assert f'Unknown setting "{typo}". Did you mean "{meant}"?' in error
