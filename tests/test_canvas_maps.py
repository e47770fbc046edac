"""celery.map / celery.starmap / celery.chunks from PHP on a real worker (issue 30, item 1).

XMap, XStarMap and Chunks are sent by CeleryClient::send() to the session worker and their
values read back with get(): the worker's built-in tasks call the mapped task once per item
in its own process. The messages themselves are compared with Python's in test_canvas_wire.py.
"""

from __future__ import annotations

import json
from typing import Any

import databases
from harness import CeleryWorker, RedisServer

PREAMBLE = """
use CeleryBridge\\Canvas\\{Signature, Chain, Group, Chord, XMap, XStarMap, Chunks};
$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
$add = new Signature('tasks.add');
$xsum = new Signature('tasks.xsum');
"""

FORMS: dict[str, tuple[str, Any]] = {
    "xmap": ("new XMap($xsum, [[1, 2], [3, 4], []])", [3, 7, 0]),
    "xstarmap": ("new XStarMap($add, [[1, 2], [3, 4]])", [3, 7]),
    "xstarmap_empty": ("new XStarMap($add, [])", []),
    "chunks": ("new Chunks($add, [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], 2)", [[3, 7], [11, 15], [19]]),
    "chunks_group": ("(new Chunks($add, [[1, 1], [2, 2], [3, 3]], 1))->group()", [[2], [4], [6]]),
    # A map step ignores its parent's result (it is immutable); the step after it gets its list.
    "xstarmap_in_chain": ("new Chain(new XStarMap($add, [[1, 2], [3, 4]]), $xsum)", 10),
    "xmap_after_a_step": ("new Chain(new Signature('tasks.add', [1, 1]), new XMap($xsum, [[5, 5]]))", [10]),
    "maps_in_group": (
        "new Group(new XMap($xsum, [[1, 2]]), (new Chunks($add, [[1, 2], [3, 4]], 1))->group())",
        [[3], [3], [7]],
    ),
    "chunks_group_as_chord_header": (
        "new Chord((new Chunks($add, [[1, 2], [3, 4], [5, 6]], 2))->group(), new Signature('tasks.echo'))",
        [[[3, 7], [11]]],
    ),
    "xmap_as_chord_body": ("new Chord([new Signature('tasks.add', [1, 1])], new XMap($xsum, [[4, 4]]))", [8]),
}


def test_each_map_form_computes_its_value_on_a_worker(worker: CeleryWorker, run_php) -> None:
    sends = "\n".join(
        f"$out[{name!r}] = $celery->send({code})->get(timeout: 15.0);" for name, (code, _) in FORMS.items()
    )
    values = run_php(PREAMBLE + "$out = [];\n" + sends + "\necho json_encode($out);", timeout=60).json()

    expected = {name: value for name, (_, value) in FORMS.items()}
    # tasks.echo returns what it received: the chord hands it the parts' lists as one argument.
    assert values.pop("chunks_group_as_chord_header")["args"] == expected.pop("chunks_group_as_chord_header")
    assert values == expected


def test_a_map_is_routed_by_the_mapped_task_name(redis_server: RedisServer, run_php) -> None:
    """task_routes sees the inner task's name, as Celery's _basemap.apply_async passes route_name."""
    broker = redis_server.client(databases.BROKER)
    broker.delete("maps-routed")
    try:
        run_php.file("canvas_maps.php", args=["routed"])
        messages = [json.loads(raw) for raw in broker.lrange("maps-routed", 0, -1)]
        assert [m["headers"]["task"] for m in messages] == ["celery.starmap"] * 3
    finally:
        broker.delete("maps-routed")
        broker.close()


def test_refused_map_forms_write_nothing(redis_server: RedisServer, run_php) -> None:
    """Chunks inside a chain/group/chord, starmap items that are not argument lists, n < 1."""
    broker = redis_server.client(databases.BROKER)
    outcome = run_php.file("canvas_maps.php", args=["refused"]).json()

    assert all(error.startswith("InvalidCanvas") and "group()" in error for error in outcome[:3]), outcome
    assert outcome[3].startswith("InvalidTaskArgument") and "item 1 is int" in outcome[3]
    assert outcome[4].startswith("InvalidTaskArgument") and "is 0" in outcome[4]
    assert outcome[5].startswith("InvalidCanvas") and '"link"' in outcome[5]
    assert broker.llen("maps-refused") == 0
    broker.close()
