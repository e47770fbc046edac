"""PHP's canvas publishes what Python's canvas publishes (issue 4, differential).

Each case describes one canvas once (the S/Chain/Group/Chord helpers below) and renders it
twice: as Celery objects that a Python app applies, and as PHP code that CeleryClient sends.
Every task and group id is fixed, so both sides must publish the same messages in the same
order, with the same embedded chains, chords, callbacks and frozen ids. Python publishes to
one db of the session Redis and PHP to another; no worker reads them.

Envelopes are compared with wire.normalize (ids numbered over all messages of a side, so ids
shared between messages must be shared on both), after removing two deliberate differences:
  - headers.ignore_result: null or false ("store the result") for a task the publisher does
    not know, depending on how Celery's canvas reached send_task();
  - headers.argsrepr: Celery's canvas keeps args as a tuple, "(2, 2)", while PHP writes the
    repr of a list, "[2, 2]", as send_task() with a list does; the same for the args of the
    signature a celery.map / starmap / chunks message carries in kwargsrepr;
  - PHP adds "chord_size" to the chord body it embeds, which Celery 5.0 workers read (5.1+
    read the size key instead); it must equal the size Python stores;
  - an option that is null or an empty list on one side and missing on the other, in a
    signature dict (e.g. Python's chain of a chord-led chain leaves "chain": [] and "root_id":
    null in the body): the worker drops null options and reads an empty chain as none.
Celery's stamped_headers come from a set, so their order is not compared.
The result backend keys (the chord size key "<prefix>celery-taskset-meta-<gid>.s") must be
the same too, with a TTL.
"""

from __future__ import annotations

import gc
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery, chain, chord, chunks, group, xmap, xstarmap

import databases
from harness import RedisServer
from php_runner import php_script, run_php_script
from wire import differences, normalize, read_envelopes

PYTHON_DB, PHP_DB = databases.CANVAS_WIRE_PYTHON, databases.CANVAS_WIRE_PHP
PYTHON_BACKEND_DB, PHP_BACKEND_DB = databases.CANVAS_WIRE_PYTHON_BACKEND, databases.CANVAS_WIRE_PHP_BACKEND
NAMESPACE = uuid.UUID("5c2b1f0e-4d3a-4b8c-9e7f-6a5b4c3d2e1f")


def fixed_id(name: str) -> str:
    """A stable task or group id for `name`, the same on both sides."""
    return str(uuid.uuid5(NAMESPACE, name))


def php_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(php_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{php_value(k)} => {php_value(v)}" for k, v in value.items()) + "]"
    if isinstance(value, Node):
        return value.php()
    raise TypeError(f"no PHP literal for {value!r}")


class Node:
    def python(self, app: Celery) -> Any:
        raise NotImplementedError

    def php(self) -> str:
        raise NotImplementedError


@dataclass
class S(Node):
    """A signature; `id` names its fixed task id (none: Python and PHP leave it unset)."""

    task: str
    args: tuple[Any, ...] = ()
    id: str | None = None
    immutable: bool = False

    def python(self, app: Celery) -> Any:
        options = {"task_id": fixed_id(self.id)} if self.id else {}
        return app.signature(self.task, args=self.args, immutable=self.immutable, **options)

    def php(self) -> str:
        options = f"['task_id' => '{fixed_id(self.id)}']" if self.id else "[]"
        code = f"new Signature({php_value(self.task)}, {php_value(list(self.args))}, [], {options})"
        return f"({code})->asImmutable()" if self.immutable else code


@dataclass
class Ch(Node):
    steps: list[Node]

    def python(self, app: Celery) -> Any:
        return chain(*(step.python(app) for step in self.steps), app=app)

    def php(self) -> str:
        return "new Chain(" + ", ".join(step.php() for step in self.steps) + ")"


@dataclass
class G(Node):
    tasks: list[Node]
    id: str | None = None

    def python(self, app: Celery) -> Any:
        options = {"task_id": fixed_id(self.id)} if self.id else {}
        return group([task.python(app) for task in self.tasks], app=app, **options)

    def php(self) -> str:
        code = "new Group(" + ", ".join(task.php() for task in self.tasks) + ")"
        return f"({code})->withOptions(['task_id' => '{fixed_id(self.id)}'])" if self.id else code


@dataclass
class Cd(Node):
    header: G
    body: Node

    def python(self, app: Celery) -> Any:
        # Celery's chord takes only the header's tasks and names the group with its own task_id
        # option (the body keeps its own id when it has one).
        options = {"task_id": fixed_id(self.header.id)} if self.header.id else {}
        return chord(self.header.python(app), self.body.python(app), app=app, **options)

    def php(self) -> str:
        return f"new Chord({self.header.php()}, {self.body.php()})"


@dataclass
class XM(Node):
    """Celery's xmap / xstarmap of a task over items (issue 30)."""

    task: S
    items: list[Any]
    star: bool = False
    id: str | None = None

    def python(self, app: Celery) -> Any:
        options = {"task_id": fixed_id(self.id)} if self.id else {}
        form = xstarmap if self.star else xmap
        return form(self.task.python(app), self.items, app=app, **options)

    def php(self) -> str:
        options = f"['task_id' => '{fixed_id(self.id)}']" if self.id else "[]"
        form = "XStarMap" if self.star else "XMap"
        return f"new {form}({self.task.php()}, {php_value(self.items)}, {options})"


@dataclass
class Chk(Node):
    """Celery's chunks of a task over items, n per part; group=True: its chunks.group()."""

    task: S
    items: list[Any]
    n: int
    group: bool = False
    id: str | None = None

    def python(self, app: Celery) -> Any:
        made = chunks(self.task.python(app), self.items, self.n, app=app)
        return made.group() if self.group else made

    def php(self) -> str:
        code = f"new Chunks({self.task.php()}, {php_value(self.items)}, {self.n})"
        if not self.group:
            return code
        # As a chord header (the Cd node gives Python's chord the id as its task_id).
        options = f"->withOptions(['task_id' => '{fixed_id(self.id)}'])" if self.id else ""
        return f"({code})->group(){options}"


@dataclass
class Case:
    id: str
    canvas: Node
    # apply_async options (signatures as nodes), the same on both sides.
    options: dict[str, Any] = field(default_factory=dict)
    # result_backend_transport_options.global_keyprefix of both clients.
    backend_prefix: str | None = None
    # Python: canvas.stamp(**stamps) after the options are set; PHP: the "stamps" option.
    stamps: dict[str, Any] = field(default_factory=dict)


def add(*args: int, id: str | None = None) -> S:
    return S("tasks.add", args, id)


def mul(*args: int, id: str | None = None) -> S:
    return S("tasks.mul", args, id)


def xsum(id: str | None = None) -> S:
    return S("tasks.xsum", (), id)


LOG = S("tasks.log")
ON_ERROR = S("tasks.on_error")

CASES = [
    Case("link_and_link_error", add(1, 2, id="a"), {"link": LOG, "link_error": ON_ERROR}),
    Case("several_links", add(1, 2, id="a"), {"link": [LOG, S("tasks.log", ("second",), immutable=True)]}),
    Case("chain", Ch([add(2, 2, id="a"), mul(4, id="b")])),
    Case(
        "chain_with_callbacks",
        Ch([add(2, 2, id="a"), S("tasks.fail", ("boom",), "b", immutable=True), mul(4, id="c")]),
        {"link_error": ON_ERROR, "link": LOG},
    ),
    Case("group", G([add(1, 1, id="a"), add(2, 2, id="b")], id="g")),
    Case("chord", Cd(G([add(1, 1, id="a"), add(2, 2, id="b")], id="g"), xsum(id="c"))),
    Case(
        "chord_backend_prefix",
        Cd(G([add(1, 1, id="a"), add(2, 2, id="b"), add(3, 3, id="c")], id="g"), xsum(id="d")),
        backend_prefix="pfx",
    ),
    Case("group_in_chain", Ch([add(2, 2, id="a"), G([mul(2, id="b"), mul(3, id="c")], id="g")])),
    Case("chain_in_group", G([Ch([add(2, 2, id="a"), mul(4, id="b")]), add(1, 1, id="c")], id="g")),
    Case(
        "chord_in_chain",
        Ch([add(1, 1, id="a"), Cd(G([add(1, id="b"), mul(2, id="c")], id="g"), xsum(id="d"))]),
    ),
    Case(
        "group_then_steps_in_chain",
        Ch([add(1, 1, id="a"), G([add(1, id="b"), mul(2, id="c")], id="g"), xsum(id="d"), mul(10, id="e")]),
    ),
    Case("chain_led_by_group", Ch([G([add(1, 1, id="a"), add(2, 2, id="b")], id="g"), xsum(id="c")])),
    Case(
        "chord_with_chain_body",
        Cd(G([add(1, 1, id="a"), add(2, 2, id="b")], id="g"), Ch([xsum(id="c"), mul(10, id="d")])),
    ),
    Case(
        "chord_in_group",
        G([Cd(G([add(1, 1, id="a"), add(2, 2, id="b")], id="h"), xsum(id="c")), add(5, 5, id="d")], id="g"),
    ),
    Case(
        "chain_in_chord_header",
        Cd(G([Ch([add(1, 1, id="a"), mul(3, id="b")]), add(2, 2, id="c")], id="g"), xsum(id="d")),
    ),
    # Stamping (Celery 5.3+) reaches every task of the canvas, and a task's callbacks.
    Case(
        "stamped_task_and_its_callbacks",
        add(1, 2, id="a"),
        {"link": LOG, "link_error": ON_ERROR},
        stamps={"batch": "b-1", "tenant": {"id": 7, "tags": ["x"]}},
    ),
    Case("stamped_chain", Ch([add(2, 2, id="a"), mul(4, id="b"), mul(5, id="c")]), stamps={"batch": "b-2"}),
    Case("stamped_group", G([add(1, 1, id="a"), add(2, 2, id="b")], id="g"), stamps={"batch": "b-3"}),
    Case(
        "stamped_chord",
        Cd(G([add(1, 1, id="a"), add(2, 2, id="b")], id="g"), xsum(id="c")),
        stamps={"batch": "b-4"},
    ),
    # Issue 30: celery.map / celery.starmap / celery.chunks, alone and inside other forms.
    Case("xmap", XM(xsum(), [[1, 2], [3, 4]], id="a")),
    Case("xstarmap", XM(add(), [[1, 2], [3, 4]], star=True, id="a")),
    Case("xmap_with_options", XM(xsum(), [[1]], id="a"), {"link": LOG, "link_error": ON_ERROR}),
    Case(
        "xstarmap_in_chain",
        Ch([XM(add(), [[1, 2]], star=True, id="a"), xsum(id="b"), XM(xsum(), [[5]], id="c")]),
    ),
    Case("xmap_in_group", G([XM(xsum(), [[1, 2]], id="a"), XM(add(), [[3, 4]], star=True, id="b")], id="g")),
    Case(
        "xstarmap_in_chord",
        Cd(G([XM(add(), [[1, 2], [3, 4]], star=True, id="a")], id="g"), XM(xsum(), [], id="b")),
    ),
    Case("chunks", Chk(add(), [[1, 2], [3, 4], [5, 6]], 2)),
    Case(
        "chunks_group_in_chord",
        Cd(Chk(add(), [[1, 2], [3, 4], [5, 6]], 2, group=True, id="g"), xsum(id="c")),  # type: ignore[arg-type]
    ),
]


def client_config(case: Case) -> dict[str, Any]:
    if case.backend_prefix is None:
        return {}
    return {"result_backend_transport_options": {"global_keyprefix": case.backend_prefix}}


@pytest.fixture
def dbs(redis_server: RedisServer) -> Iterator[dict[int, redis.Redis]]:
    """The four dbs of this test, empty at the start and at the end."""
    clients = {db: redis_server.client(db) for db in (PYTHON_DB, PHP_DB, PYTHON_BACKEND_DB, PHP_BACKEND_DB)}
    for client in clients.values():
        client.flushdb()
    try:
        yield clients
    finally:
        for client in clients.values():
            client.flushdb()
            client.close()


def publish_python(server: RedisServer, case: Case) -> None:
    app = Celery("canvas-wire", set_as_current=False)
    app.conf.update(
        broker_url=server.url(PYTHON_DB),
        result_backend=server.url(PYTHON_BACKEND_DB),
        broker_connection_retry_on_startup=True,
        **client_config(case),
    )
    try:
        options = {
            name: [item.python(app) for item in value] if isinstance(value, list) else value.python(app)
            for name, value in case.options.items()
        }
        canvas = case.canvas.python(app)
        if case.stamps:
            canvas.set(**options)
            options = {}
            canvas.stamp(**case.stamps)
        canvas.apply_async(**options)
    finally:
        app.close()
    # Celery's results unsubscribe from the backend when collected: let that happen now,
    # while the Redis server is still up, not at some later collection.
    del app
    gc.collect()


def publish_php(server: RedisServer, case: Case, tmp_path: Path) -> None:
    stamps = {"stamps": case.stamps} if case.stamps else {}
    script = tmp_path / f"{case.id}.php"
    script.write_text(
        php_script(
            "use CeleryBridge\\Canvas\\{Signature, Chain, Group, Chord, XMap, XStarMap, Chunks};\n"
            f"$celery = new CeleryClient({php_value(server.url(PHP_DB))}, "
            f"{php_value(server.url(PHP_BACKEND_DB))}, {php_value(client_config(case))});\n"
            f"$celery->send({case.canvas.php()}, {php_value(case.options | stamps)});\n"
        )
    )
    result = run_php_script(script, {}, timeout=30)
    assert result.returncode == 0 and result.stderr == "", result.describe()


def as_tuple_repr(list_repr: str) -> str:
    """The repr of a tuple with the items of the repr of a list: "[1]" -> "(1,)"."""
    if list_repr == "()":
        return list_repr  # no arguments: both sides write the empty tuple
    assert list_repr.startswith("[") and list_repr.endswith("]"), list_repr
    inner = list_repr[1:-1]
    return f"({inner},)" if inner and "," not in inner else f"({inner})"


def pop_chord_sizes(value: Any) -> list[int]:
    """Removes every "chord_size" entry (PHP's, for 5.0 workers) and returns the values."""
    found = []
    if isinstance(value, dict):
        if "chord_size" in value:
            found.append(value.pop("chord_size"))
        for item in value.values():
            found.extend(pop_chord_sizes(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(pop_chord_sizes(item))
    return found


def drop_empty_options(left: Any, right: Any) -> None:
    """In signature dict options, forget null/[] entries that the other side does not have."""
    if isinstance(left, dict) and isinstance(right, dict):
        for one, other in ((left, right), (right, left)):
            options = one.get("options")
            if isinstance(options, dict) and "subtask_type" in one:
                other_options = other.get("options") if isinstance(other.get("options"), dict) else {}
                for key in [k for k, v in options.items() if v in (None, []) and k not in other_options]:
                    del options[key]
        for key in set(left) & set(right):
            drop_empty_options(left[key], right[key])
    elif isinstance(left, list) and isinstance(right, list):
        for one, other in zip(left, right, strict=False):
            drop_empty_options(one, other)


def sort_stamped_headers(value: Any) -> None:
    """Celery builds stamped_headers from a set: its order changes from run to run."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "stamped_headers" and isinstance(item, list):
                item.sort()
            else:
                sort_stamped_headers(item)
    elif isinstance(value, list):
        for item in value:
            sort_stamped_headers(item)


def stand_in_group_ids(
    keys: dict[str, tuple[bytes | None, int]], envelopes: list[dict[str, Any]]
) -> list[Any]:
    """Sorted (key with its group id replaced, value); each group id must be a published one."""
    groups = {envelope["headers"]["group"] for envelope in envelopes if envelope["headers"].get("group")}
    found = []
    for key, (value, _) in keys.items():
        match = re.search(r"celery-taskset-meta-([0-9a-f-]{36})\.s$", key)
        assert match and match.group(1) in groups, (key, groups)
        found.append((key.replace(match.group(1), "<gid>"), value))
    return sorted(found)


def backend_keys(client: redis.Redis) -> dict[str, tuple[bytes | None, int]]:
    return {key.decode(): (client.get(key), client.ttl(key)) for key in client.keys("*")}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_php_canvas_publishes_what_python_canvas_publishes(
    case: Case, redis_server: RedisServer, dbs: dict[int, redis.Redis], tmp_path: Path
) -> None:
    publish_python(redis_server, case)
    publish_php(redis_server, case, tmp_path)

    python_raw = read_envelopes(dbs[PYTHON_DB], "celery")
    php_raw = read_envelopes(dbs[PHP_DB], "celery")
    assert len(python_raw) == len(php_raw) > 0
    python_ids: dict[str, str] = {}
    php_ids: dict[str, str] = {}
    python_messages = [normalize(envelope, ids=python_ids) for envelope in python_raw]
    php_messages = [normalize(envelope, ids=php_ids) for envelope in php_raw]

    python_sizes = backend_keys(dbs[PYTHON_BACKEND_DB])
    php_sizes = backend_keys(dbs[PHP_BACKEND_DB])
    for python_message, php_message in zip(python_messages, php_messages, strict=True):
        for message in (python_message, php_message):
            assert message["headers"]["ignore_result"] in (None, False)
            message["headers"]["ignore_result"] = None
        assert python_message["headers"]["argsrepr"] == as_tuple_repr(php_message["headers"]["argsrepr"])
        python_message["headers"]["argsrepr"] = php_message["headers"]["argsrepr"]
        kwargsrepr = python_message["headers"]["kwargsrepr"]
        python_message["headers"]["kwargsrepr"] = kwargsrepr.replace("'args': ()", "'args': []")
        for size in pop_chord_sizes(php_message):
            assert isinstance(size, int) and str(size).encode() in {value for value, _ in php_sizes.values()}
    drop_empty_options(python_messages, php_messages)
    sort_stamped_headers([python_messages, php_messages])
    found = differences(python_messages, php_messages)
    assert found == [], "\n".join(found)

    # The same chord size keys (named after a group id of that side's messages), the same
    # sizes, both with result_expires as TTL. Where Celery chooses the group id itself (a chain
    # led by a group, a chord inside a group) only PHP's is the fixed one.
    assert stand_in_group_ids(python_sizes, python_raw) == stand_in_group_ids(php_sizes, php_raw)
    for _, ttl in [*python_sizes.values(), *php_sizes.values()]:
        assert 0 < ttl <= 86400
    if isinstance(case.canvas, Cd) or case.id == "chain_led_by_group":
        prefix = f"{case.backend_prefix}_" if case.backend_prefix else ""
        assert f"{prefix}celery-taskset-meta-{fixed_id('g')}.s" in php_sizes
