"""PHP sendTask() and Python's own app.send_task() publish the same message.

For each case, a Python Celery app configured like the PHP client publishes to one db of the
session Redis and PHP publishes the same call to another; no worker reads either. The two
envelopes must agree at every level: same keys, same JSON types, same values, except what
is fresh per publish (ids, delivery tag, reply_to, origin) and times (eta, expires,
expiration), which are compared relative to each side's publish time.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from celery import Celery

import databases
from harness import RedisServer
from php_runner import PHP_SCRIPTS, run_php_script
from wire import SEP, Near, differences, iso_seconds, normalize, queue_lists, read_envelopes

PYTHON_DB = databases.DIFFERENTIAL_PYTHON
PHP_DB = databases.DIFFERENTIAL_PHP
# Both sides publish within milliseconds of reading the clock; this only absorbs scheduling.
TOLERANCE = 0.5
FIXED_ID = "3f2c8a1e-5b7d-4c9e-8f01-23456789abcd"
ROOT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PARENT_ID = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"

# Client configurations, as Python settings and as the PHP array with the same meaning.
CONFIGS: dict[str, tuple[dict[str, Any], str]] = {
    "default": ({}, "[]"),
    "routes": (
        {"task_routes": {"tasks.record": {"queue": "routed", "priority": 4}, "tasks.e*": "globbed"}},
        "['task_routes' => ['tasks.record' => ['queue' => 'routed', 'priority' => 4], "
        "'tasks.e*' => 'globbed']]",
    ),
    "steps": (
        {"broker_transport_options": {"priority_steps": list(range(10)), "sep": ":"}},
        "['broker_transport_options' => ['priority_steps' => range(0, 9), 'sep' => ':']]",
    ),
    "keyprefix": (
        {"broker_transport_options": {"global_keyprefix": "pfx:"}},
        "['broker_transport_options' => ['global_keyprefix' => 'pfx:']]",
    ),
}

PLUS2 = timezone(timedelta(hours=2))
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def _in(seconds: float, zone: Any) -> datetime:
    return datetime.now(UTC).astimezone(zone) + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Case:
    """One call: Python send_task() keyword arguments and the PHP expression of the same call.

    `php` is a PHP expression evaluated just before publishing: [task, args, kwargs, options]
    (its task must be `task`: headers.task is compared).
    `python` may be a callable, for times relative to the publish moment.
    """

    id: str
    python: dict[str, Any] | Callable[[], dict[str, Any]]
    php: str
    task: str = "tasks.record"
    config: str = "default"
    list_name: str = "celery"
    # Header values that must be exactly these on both sides (beyond the structural match).
    exact_headers: dict[str, Any] = field(default_factory=dict)

    def python_call(self) -> dict[str, Any]:
        return self.python() if callable(self.python) else dict(self.python)


KITCHEN_SINK_PY = {
    "args": [1, "two"],
    "kwargs": {"three": 3.0},
    "countdown": 45,
    "expires": 300,
    "priority": 8,
    "queue": "sink",
    "time_limit": 60,
    "soft_time_limit": 50,
    "headers": {"x-tenant": "acme"},
    "shadow": "sink.shadow",
    "retries": 1,
    "root_id": ROOT_ID,
    "parent_id": PARENT_ID,
    "ignore_result": True,
}
KITCHEN_SINK_PHP = (
    "['tasks.record', [1, 'two'], ['three' => 3.0], ['countdown' => 45, 'expires' => 300, 'priority' => 8, "
    "'queue' => 'sink', 'time_limit' => 60, 'soft_time_limit' => 50, 'headers' => ['x-tenant' => 'acme'], "
    f"'shadow' => 'sink.shadow', 'retries' => 1, 'root_id' => '{ROOT_ID}', 'parent_id' => '{PARENT_ID}', "
    "'ignore_result' => true]]"
)

CASES = [
    Case("plain", {"args": [2, 3]}, "['tasks.add', [2, 3], [], []]", task="tasks.add"),
    Case(
        "argsrepr",
        {"args": ["s3"], "kwargs": {"token": "t0"}, "argsrepr": "('***',)", "kwargsrepr": "{'token': '***'}"},
        "['tasks.record', ['s3'], ['token' => 't0'], ['argsrepr' => \"('***',)\", "
        "'kwargsrepr' => \"{'token': '***'}\"]]",
        exact_headers={"argsrepr": "('***',)", "kwargsrepr": "{'token': '***'}"},
    ),
    Case(
        "no_arguments",
        {},
        "['tasks.record', [], [], []]",
        exact_headers={"argsrepr": "()", "kwargsrepr": "{}"},
    ),
    Case(
        "json_types",
        {
            "args": [
                1,
                1.0,
                -2.5,
                0.1,
                1e20,
                1e-7,
                -0.0,
                9007199254740993,
                True,
                False,
                None,
                "é😀中文",
                "quote ' and \\ backslash \"",
                [],
                {},
                [1, [2, [3, [4, [5]]]]],
                {"a": {"b": {"c": {"d": 1}}}},
            ],
            "kwargs": {"x": 1, "ünï": "z", "nested": {"k": [1.5, None]}, "empty": {}, "list": []},
        },
        "['tasks.record', [1, 1.0, -2.5, 0.1, 1e20, 1e-7, -0.0, 9007199254740993, true, false, null, "
        "'é😀中文', 'quote \\' and \\\\ backslash \"', [], new stdClass(), [1, [2, [3, [4, [5]]]]], "
        "['a' => ['b' => ['c' => ['d' => 1]]]]], "
        "['x' => 1, 'ünï' => 'z', 'nested' => ['k' => [1.5, null]], 'empty' => new stdClass(), "
        "'list' => []], []]",
    ),
    Case(
        "long_arguments",
        {"args": ["x" * 2000, list(range(400))], "kwargs": {"text": "word " * 300}},
        "['tasks.record', [str_repeat('x', 2000), range(0, 399)], ['text' => str_repeat('word ', 300)], []]",
    ),
    Case(
        "datetime_arguments",
        {
            "args": [
                datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=PLUS2),
                datetime(2031, 6, 7, 8, 9, tzinfo=UTC),
            ],
            "kwargs": {"when": datetime(2029, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5)))},
        },
        "['tasks.record', [new DateTimeImmutable('2030-01-02T03:04:05.678901+02:00'), "
        "new DateTime('2031-06-07 08:09:00', new DateTimeZone('UTC'))], "
        "['when' => new DateTimeImmutable('2029-12-31T23:59:59-05:00')], []]",
    ),
    # send_task() hands options it does not know to kombu, which writes them as properties.
    Case(
        "amqp_properties",
        {
            "app_id": "billing",
            "user_id": "bob",
            "message_id": "m-1",
            "type": "invoice",
            "cluster_id": "c1",
            "timestamp": 1764000000,
            "reply_to": "billing-replies",
        },
        "['tasks.record', [], [], ['app_id' => 'billing', 'user_id' => 'bob', 'message_id' => 'm-1', "
        "'type' => 'invoice', 'cluster_id' => 'c1', 'timestamp' => 1764000000, "
        "'reply_to' => 'billing-replies']]",
    ),
    Case("countdown", {"countdown": 30}, "['tasks.record', [], [], ['countdown' => 30]]"),
    Case("countdown_float", {"countdown": 2.5}, "['tasks.record', [], [], ['countdown' => 2.5]]"),
    # Celery only converts a truthy countdown: 0 means no eta at all.
    Case("countdown_zero", {"countdown": 0}, "['tasks.record', [], [], ['countdown' => 0]]"),
    Case("countdown_negative", {"countdown": -3}, "['tasks.record', [], [], ['countdown' => -3]]"),
    Case(
        "eta_datetime",
        lambda: {"eta": _in(300, TOKYO)},
        "['tasks.record', [], [], "
        "['eta' => new DateTimeImmutable('+300 seconds', new DateTimeZone('Asia/Tokyo'))]]",
    ),
    Case(
        "eta_string",
        lambda: {"eta": _in(300, timezone(timedelta(hours=5, minutes=30))).isoformat()},
        "['tasks.record', [], [], "
        "['eta' => (new DateTimeImmutable('+300 seconds', new DateTimeZone('+05:30')))"
        "->format('Y-m-d\\TH:i:s.uP')]]",
    ),
    Case("expires_seconds", {"expires": 120}, "['tasks.record', [], [], ['expires' => 120]]"),
    Case(
        "expires_datetime",
        lambda: {"expires": _in(600, NEW_YORK)},
        "['tasks.record', [], [], "
        "['expires' => new DateTime('+600 seconds', new DateTimeZone('America/New_York'))]]",
    ),
    Case(
        "expires_string",
        lambda: {"expires": _in(90, UTC).isoformat()},
        "['tasks.record', [], [], "
        "['expires' => (new DateTimeImmutable('+90 seconds'))->format(DATE_RFC3339_EXTENDED)]]",
    ),
    Case("expires_past", {"expires": -5}, "['tasks.record', [], [], ['expires' => -5]]"),
    Case(
        "priority_7",
        {"priority": 7},
        "['tasks.record', [], [], ['priority' => 7]]",
        list_name=f"celery{SEP}6",
    ),
    Case("priority_2", {"priority": 2}, "['tasks.record', [], [], ['priority' => 2]]"),
    Case("queue", {"queue": "other"}, "['tasks.record', [], [], ['queue' => 'other']]", list_name="other"),
    Case(
        "time_limits",
        {"time_limit": 30, "soft_time_limit": 12.5},
        "['tasks.record', [], [], ['time_limit' => 30, 'soft_time_limit' => 12.5]]",
        exact_headers={"timelimit": [30, 12.5]},
    ),
    Case(
        "headers",
        {"headers": {"x-trace": "abc", "n": 1, "f": 1.0, "nested": {"a": [1, None]}}},
        "['tasks.record', [], [], ['headers' => ['x-trace' => 'abc', 'n' => 1, 'f' => 1.0, "
        "'nested' => ['a' => [1, null]]]]]",
    ),
    Case("shadow", {"shadow": "shadowed.name"}, "['tasks.record', [], [], ['shadow' => 'shadowed.name']]"),
    Case("retries", {"retries": 3}, "['tasks.record', [], [], ['retries' => 3]]"),
    Case(
        "task_id",
        {"task_id": FIXED_ID},
        f"['tasks.record', [], [], ['task_id' => '{FIXED_ID}']]",
        exact_headers={"id": FIXED_ID, "root_id": FIXED_ID},
    ),
    Case(
        "root_and_parent_id",
        {"root_id": ROOT_ID, "parent_id": PARENT_ID},
        f"['tasks.record', [], [], ['root_id' => '{ROOT_ID}', 'parent_id' => '{PARENT_ID}']]",
        exact_headers={"root_id": ROOT_ID, "parent_id": PARENT_ID},
    ),
    Case(
        "ignore_result_true", {"ignore_result": True}, "['tasks.record', [], [], ['ignore_result' => true]]"
    ),
    Case(
        "ignore_result_false",
        {"ignore_result": False},
        "['tasks.record', [], [], ['ignore_result' => false]]",
    ),
    Case(
        "route_exact",
        {"args": [1]},
        "['tasks.record', [1], [], []]",
        config="routes",
        list_name=f"routed{SEP}3",
    ),
    Case(
        "route_glob",
        {},
        "['tasks.echo', [], [], []]",
        task="tasks.echo",
        config="routes",
        list_name="globbed",
    ),
    Case(
        "route_overridden_by_options",
        {"queue": "explicit", "priority": 0},
        "['tasks.record', [], [], ['queue' => 'explicit', 'priority' => 0]]",
        config="routes",
        list_name="explicit",
    ),
    Case(
        "priority_steps_and_sep",
        {"priority": 5},
        "['tasks.record', [], [], ['priority' => 5]]",
        config="steps",
        list_name="celery:5",
    ),
    Case(
        "global_keyprefix",
        {"priority": 7},
        "['tasks.record', [], [], ['priority' => 7]]",
        config="keyprefix",
        list_name=f"pfx:celery{SEP}6",
    ),
    Case("kitchen_sink", KITCHEN_SINK_PY, KITCHEN_SINK_PHP, list_name=f"sink{SEP}6"),
]

def _php_cases() -> str:
    """The cases as a PHP file for tests/php/differential_publish.php: the client settings and,
    per case, its client and a closure making its sendTask() arguments."""
    configs = ", ".join(f"'{name}' => {php}" for name, (_, php) in CONFIGS.items())
    cases = ", ".join(f"'{case.id}' => ['{case.config}', fn () => {case.php}]" for case in CASES)
    return (
        "<?php\n\ndeclare(strict_types=1);\n\nuse CeleryBridge\\CeleryClient;\n\n"
        f"return ['configs' => [{configs}], 'cases' => [{cases}]];\n"
    )


@dataclass
class Published:
    """What one side published for a case: its clock before publishing, and the lists."""

    published_at: float
    lists: dict[str, list[dict[str, Any]]]
    # Absolute eta/expires given by the caller, as epoch seconds.
    given: dict[str, float] = field(default_factory=dict)

    def envelope(self) -> dict[str, Any]:
        [(name, envelopes)] = self.lists.items()
        [envelope] = envelopes
        return envelope


@pytest.fixture(scope="module")
def python_apps(redis_server: RedisServer) -> Iterator[dict[str, Celery]]:
    """One Celery app per client configuration, publishing to PYTHON_DB (no worker reads it)."""
    apps = {}
    for name, (settings, _) in CONFIGS.items():
        app = Celery(f"differential-{name}", set_as_current=False)
        app.conf.update(broker_url=redis_server.url(PYTHON_DB), **settings)
        apps[name] = app
    try:
        yield apps
    finally:
        for app in apps.values():
            app.close()


@pytest.fixture(scope="module")
def python_published(redis_server: RedisServer, python_apps: dict[str, Celery]) -> dict[str, Published]:
    """Every case published by Python's send_task(), one at a time on an emptied db."""
    client = redis_server.client(PYTHON_DB)
    found = {}
    try:
        for case in CASES:
            client.flushdb()
            call = case.python_call()
            published_at = time.time()
            python_apps[case.config].send_task(case.task, **call)
            given = {}
            for option in ("eta", "expires"):
                value = call.get(option)
                if isinstance(value, str):
                    given[option] = iso_seconds(value)
                elif isinstance(value, datetime):
                    given[option] = value.timestamp()
            found[case.id] = Published(
                published_at, {name: read_envelopes(client, name) for name in queue_lists(client)}, given
            )
        client.flushdb()
    finally:
        client.close()
    return found


@pytest.fixture(scope="module")
def php_published(
    redis_server: RedisServer, php_autoload: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Published]:
    """Every case published by PHP's sendTask(), in one php process."""
    cases = tmp_path_factory.mktemp("differential") / "cases.php"
    cases.write_text(_php_cases())
    env = {"CELERY_BROKER_URL": redis_server.url(PHP_DB), "CB_CASES_FILE": str(cases)}
    result = run_php_script(PHP_SCRIPTS / "differential_publish.php", env, timeout=30)
    assert result.returncode == 0 and result.stderr == "", result.describe()
    return {
        name: Published(
            entry["published_at"],
            {key: [json.loads(raw) for raw in raws] for key, raws in entry["lists"].items()},
            {option: float(value) for option, value in entry["given"].items()},
        )
        for name, entry in result.json().items()
    }


# What Celery writes for a time it computed itself: isoformat() of an aware UTC datetime.
UTC_ISOFORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_php_envelope_matches_python_send_task(
    case: Case, python_published: dict[str, Published], php_published: dict[str, Published]
) -> None:
    python, php = python_published[case.id], php_published[case.id]
    # Same list, and nothing else written as a list (Python also adds _kombu.binding.* sets).
    assert list(python.lists) == [case.list_name]
    assert list(php.lists) == [case.list_name]
    python_envelope, php_envelope = python.envelope(), php.envelope()

    left = normalize(python_envelope, published_at=python.published_at, tolerance=TOLERANCE)
    right = normalize(php_envelope, published_at=php.published_at, tolerance=TOLERANCE)
    assert differences(left, right) == []
    for name, value in case.exact_headers.items():
        assert differences(value, python_envelope["headers"][name]) == [], name
        assert differences(value, php_envelope["headers"][name]) == [], name


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if case.id.startswith(("eta", "expires", "countdown", "kitchen"))],
    ids=lambda case: case.id,
)
def test_php_times_are_utc_isoformat_and_exact_instants(
    case: Case, python_published: dict[str, Published], php_published: dict[str, Published]
) -> None:
    python, php = python_published[case.id], php_published[case.id]
    headers = php.envelope()["headers"]
    for option in ("eta", "expires"):
        if headers[option] is not None:
            assert UTC_ISOFORMAT.match(headers[option]), headers[option]
    # An absolute time is carried to the microsecond, whatever zone or string form it came in.
    assert set(php.given) == set(python.given)
    for option, instant in php.given.items():
        assert iso_seconds(headers[option]) == pytest.approx(instant, abs=1e-6)
    for option, instant in python.given.items():
        assert iso_seconds(python.envelope()["headers"][option]) == pytest.approx(instant, abs=1e-6)


def test_cases_cover_every_publish_option() -> None:
    from_cases = set()
    for case in CASES:
        from_cases.update(case.python_call())
    publish_options = {
        "countdown",
        "eta",
        "expires",
        "priority",
        "queue",
        "retries",
        "time_limit",
        "soft_time_limit",
        "task_id",
        "shadow",
        "ignore_result",
        "headers",
        "root_id",
        "parent_id",
        "argsrepr",
        "kwargsrepr",
        "reply_to",
        "app_id",
        "user_id",
        "message_id",
        "type",
        "cluster_id",
        "timestamp",
    }
    assert publish_options <= from_cases
    assert {case.config for case in CASES} == set(CONFIGS)


def test_the_comparison_itself_is_strict() -> None:
    """differences() tells 1, 1.0 and True apart, and Near only forgives the tolerance."""
    assert differences({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}) == []
    assert differences([1], [1.0]) == ["0: int 1 != float 1.0"]
    assert differences({"a": True}, {"a": 1}) == ["a: bool True != int 1"]
    assert differences({"a": {}}, {"a": []}) == ["a: object {} != array []"]
    assert differences({"a": 1}, {"b": 1}) == ["a: missing on the right", "b: only on the right (1)"]
    assert differences(Near(10.0, "iso-string", 0.5), Near(10.4, "iso-string", 0.5)) == []
    assert differences(Near(10.0, "iso-string", 0.5), Near(10.6, "iso-string", 0.5)) != []
    assert differences(Near(10.0, "iso-string", 0.5), Near(10.0, "ms-string", 0.5)) != []
