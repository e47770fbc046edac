"""Canvas from PHP on a real worker (issue 4): link, chain, group, chord and their nestings.

Every canvas is sent by CeleryClient::send() to the session worker (solo pool, results in
db 1) and its value read back with get(). Order and linkage are checked on what the tasks
themselves saw (tasks.record / tasks.log / tasks.on_error push their request to the records
list). "Nothing else ran" is proven with a sentinel: the worker consumes its queue in order,
so once a sentinel task sent afterwards has run, every earlier message has been handled.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from celery.exceptions import ChordError

import databases
from canvas_snippets import PREAMBLE, sentinel_drain
from harness import CeleryWorker, Records, RedisServer
from versions import WorkerVersions

# Each form and nesting, with the value the worker must compute.
FORMS: dict[str, tuple[str, Any]] = {
    "chain": ("new Chain($add(2, 2), $mul(4))", 16),
    "group": ("new Group($add(1, 1), $add(2, 2), $add(3, 3))", [2, 4, 6]),
    "chord": ("new Chord(new Group($add(1, 1), $add(2, 2)), $xsum)", 6),
    "group_in_chain": ("new Chain($add(2, 2), new Group($mul(2), $mul(3)))", [8, 12]),
    "chain_in_group": ("new Group(new Chain($add(2, 2), $mul(4)), $add(1, 1))", [16, 2]),
    "chord_in_chain": ("new Chain($add(1, 1), new Chord([$add(1), $mul(2)], $xsum))", 7),
    "group_then_steps_in_chain": ("new Chain($add(1, 1), new Group($add(1), $mul(2)), $xsum, $mul(10))", 70),
    "chain_led_by_group": ("new Chain(new Group($add(1, 1), $add(2, 2)), $xsum)", 6),
    "chord_with_chain_body": ("new Chord([$add(1, 1), $add(2, 2)], new Chain($xsum, $mul(10)))", 60),
    "chord_in_group": ("new Group(new Chord([$add(1, 1), $add(2, 2)], $xsum), $add(5, 5))", [6, 10]),
    "chord_in_chord_header": (
        "new Chord([new Chord([$add(1, 1), $add(2, 2)], $xsum), $add(5, 5)], $xsum)",
        16,
    ),
    "chain_in_chord_header": ("new Chord([new Chain($add(1, 1), $mul(3)), $add(2, 2)], $xsum)", 10),
    "chord_with_group_body": ("new Chord([$add(1, 1), $add(2, 2)], new Group($xsum, $xsum))", [6, 6]),
    "nested_groups": ("new Group($add(1, 1), new Group($add(2, 2), $add(3, 3)))", [2, 4, 6]),
    "chain_with_options": ("$celery->send(new Chain($add(2, 2), $mul(4)), ['queue' => 'celery'])", 16),
}


def test_every_canvas_form_computes_its_value_on_a_worker(worker: CeleryWorker, run_php) -> None:
    sends = "\n".join(
        f"$out[{name!r}] = ({code if code.startswith('$celery') else f'$celery->send({code})'})"
        "->get(timeout: 15.0);"
        for name, (code, _) in FORMS.items()
    )
    values = run_php(PREAMBLE + "$out = [];\n" + sends + "\necho json_encode($out);", timeout=60).json()

    assert values == {name: expected for name, (_, expected) in FORMS.items()}


def test_chain_runs_in_order_and_links_every_step(worker: CeleryWorker, run_php, records: Records) -> None:
    sent = run_php.file("canvas.php", args=["chain_in_order"]).json()

    first, second, third = records.pop_many(3)
    ids = sent["ids"]
    assert [r["args"][-1] for r in (first, second, third)] == ["first", "second", "third"]
    assert [r["request"]["id"] for r in (first, second, third)] == ids
    # Each step received the previous step's return value first, and knows it as its parent.
    assert second["args"][0]["request"]["id"] == ids[0]
    assert third["args"][0]["request"]["id"] == ids[1]
    assert [r["request"]["parent_id"] for r in (first, second, third)] == [None, ids[0], ids[1]]
    assert {r["request"]["root_id"] for r in (first, second, third)} == {ids[0]}
    assert sent["first_parent"] is None
    assert sent["last"] == ["third"] and sent["second"] == ["second"]


def test_group_tasks_carry_the_group_id_and_their_position(
    worker: CeleryWorker, run_php, records: Records
) -> None:
    sent = run_php.file("canvas.php", args=["group_positions"]).json()

    seen = {r["request"]["id"]: r["request"] for r in records.pop_many(3)}
    assert sent["args"] == [["a"], ["b"], ["c"]]
    assert [seen[task_id]["group_index"] for task_id in sent["ids"]] == [0, 1, 2]
    assert {request["group"] for request in seen.values()} == {sent["id"]}


def test_link_callbacks_run_with_the_result(worker: CeleryWorker, run_php, records: Records) -> None:
    sent = run_php.file("canvas.php", args=["link_callbacks"]).json()

    callbacks = sorted(records.pop_many(2), key=lambda r: r["args"] != [3])
    assert sent["value"] == 3
    assert [c["request"]["task"] for c in callbacks] == ["tasks.log", "tasks.log"]
    assert callbacks[0]["args"] == [3]  # the parent's result comes first
    assert callbacks[1]["args"] == ["second"]  # immutable: its own arguments only
    assert {c["request"]["parent_id"] for c in callbacks} == {sent["id"]}
    assert sentinel_drain(run_php, records) == []  # the errback did not run


def test_errback_runs_when_a_chain_step_fails_and_the_chain_stops(
    worker: CeleryWorker, run_php, records: Records, worker_release: WorkerVersions
) -> None:
    sent = run_php.file(
        "canvas.php",
        args=["chain_step_fails"],
        env={"CB_WAIT_ON": "last" if worker_release.chain_failure_fails_the_rest else "failed"},
    ).json()

    first, failed, never = sent["ids"]
    # get() follows parents, as Celery's does: the failed step's own failure is thrown.
    assert sent["error"] == [failed, "ValueError", "boom"]
    if worker_release.chain_failure_fails_the_rest:
        # The step after the failed one never ran: Celery stores the failure under its id too.
        assert sent["states"] == ["SUCCESS", "FAILURE", "FAILURE"]
        assert sent["own"] == [never, "ValueError", "boom"]
    else:
        # Before 5.1 it stays PENDING: wait on the failed step (Python's client must too).
        assert sent["states"] == ["SUCCESS", "FAILURE", "PENDING"]
        assert sent["own"] == [failed, "ValueError", "boom"]
    errback = records.pop()
    assert errback["request"]["task"] == "tasks.on_error"
    assert errback["args"] == [failed]
    assert errback["request"]["parent_id"] == failed
    assert sentinel_drain(run_php, records) == []  # one errback, and "never" never ran


def test_chord_whose_header_fails_reports_the_failure_on_its_body(
    worker: CeleryWorker, run_php, records: Records, worker_release: WorkerVersions
) -> None:
    sent = run_php.file("canvas.php", args=["chord_header_fails"]).json()

    failed = sent["header"][1]
    assert sent["header_states"] == ["SUCCESS", "FAILURE", "SUCCESS"]
    # get() follows parents, as Celery's does: the header task's own exception, as in Python.
    assert sent["error"] == [failed, "ValueError", "builtins", "boom"]
    # The body's own stored failure, without following parents.
    assert sent["own"][:3] == [sent["body"], "ChordError", "celery.exceptions"]
    dependency = f"Dependency {failed} raised ValueError('boom')"
    if worker_release.chord_error_wrapped:
        assert sent["own"][3] == f'Callback error: ChordError("{dependency}")'
    else:
        assert sent["own"][3] == dependency
    errback = records.pop()
    assert errback["request"]["task"] == "tasks.on_error"
    assert errback["args"] == [sent["body"]]
    assert sentinel_drain(run_php, records) == []


def test_refused_canvases_write_nothing(redis_server, run_php) -> None:
    """A chord without a result backend, or a chain under protocol 1, is refused up front."""
    backend = redis_server.client(databases.BACKEND)
    chord_keys = set(backend.keys("celery-taskset-meta-*"))
    outcome = run_php.file("canvas.php", args=["refused"]).json()

    errors, waiting = outcome
    assert "result backend" in errors[0]
    assert "task_protocol 2" in errors[1]
    assert waiting == 0
    assert set(backend.keys("celery-taskset-meta-*")) <= chord_keys
    backend.close()


def test_a_saved_group_is_restored_from_its_id_on_either_side(
    worker: CeleryWorker, run_php, python_celery
) -> None:
    """GroupResult::save() writes what Celery's does: Python's GroupResult.restore() reads a
    group PHP saved, and CeleryClient::restoreGroup() one Python saved (nested groups too)."""
    from celery import group

    saved = run_php.file("canvas.php", args=["save_group"]).json()
    restored = python_celery.GroupResult.restore(saved["id"])
    # The nested group is flattened into the outer one, as Celery's group does.
    assert len(saved["ids"]) == 3 and [r.id for r in restored.results] == saved["ids"]
    assert restored.get(timeout=10) == [2, 4, 6]

    sent = group(python_celery.signature("tasks.add", (5, 5)), python_celery.signature("tasks.add", (6, 6)))
    py_result = sent.apply_async()
    py_result.save()
    got = run_php.file("canvas.php", args=["restore_group"], env={"CB_GROUP_ID": py_result.id}).json()
    assert got == {"ids": [r.id for r in py_result.results], "values": [10, 12], "missing": None}


def shape(value: Any) -> Any:
    """A result tuple with every id replaced by "id"."""
    if isinstance(value, list):
        return [shape(item) for item in value]
    return "id" if isinstance(value, str) else value


def test_a_chord_header_holding_a_group_keeps_its_shape(
    worker: CeleryWorker, run_php, python_celery, redis_server: RedisServer, worker_release: WorkerVersions
) -> None:
    """A header member that ends in a group: Celery's client saves the header (apply_chord), so
    the body gets the nested values; PHP does the same, and gets what Python's client gets."""
    from celery import chain, chord, group

    backend = redis_server.client(databases.BACKEND)

    def saved_headers() -> set[bytes]:
        return {key for key in backend.keys("celery-taskset-meta-*") if b"." not in key.rsplit(b"-", 1)[-1]}

    before = saved_headers()
    identity = python_celery.signature("tasks.identity")
    python_body = chord(
        [chain(python_celery.signature("tasks.add", (21, 21)), group(identity.clone(), identity.clone()))],
        identity.clone(),
    ).apply_async()
    if worker_release.reads_chord_size_key:
        python_value = python_body.get(timeout=10)
    else:
        # Celery 5.7's client sends no chord_size in the body, which workers before 5.1 need
        # (CeleryBridge sends it, for them): Python's own chord fails there.
        with pytest.raises(ChordError, match="chord_size"):
            python_body.get(timeout=10)
        python_value = [[42, 42]] if worker_release.keeps_nested_chord_results else [42, 42]
    [python_saved] = saved_headers() - before

    php = run_php.file("canvas.php", args=["chord_header_holding_a_group"]).json()

    # Celery 4 flattens what Celery 5 keeps nested (PHP's client writes the same either way).
    expected = [[42, 42]] if worker_release.keeps_nested_chord_results else [42, 42]
    assert php["value"] == python_value == expected
    # The saved header has the same shape on both sides: ((group, None), [((id, parent), [...])]).
    php_saved = json.loads(backend.get(f"celery-taskset-meta-{php['group']}"))["result"]
    assert shape(php_saved) == shape(json.loads(backend.get(python_saved))["result"])


def test_a_group_link_runs_once_after_its_first_task(worker: CeleryWorker, run_php, records: Records) -> None:
    """Celery's group.link(): an immutable clone on the first task, so it runs once, alone."""
    run_php(PREAMBLE + "$celery->send((new Group($add(1, 1), $add(2, 2)))->withLink($record('linked')));")

    linked = records.pop()
    assert linked["args"] == ["linked"]  # immutable: no result prepended
    assert sentinel_drain(run_php, records) == []  # and only once


def test_partial_arguments_at_send_time_as_celerys_apply_async(
    worker: CeleryWorker, run_php, python_celery, worker_release: WorkerVersions
) -> None:
    """send($canvas, args: ..., kwargs: ...): a signature gets them first, a chain's first task,
    every group task, every chord header task; an immutable signature ignores them. The values
    are what Python's canvas.apply_async(args, kwargs) gives for the same canvases."""
    from celery import chain, chord, group

    add = lambda *a: python_celery.signature("tasks.add", a)  # noqa: E731
    mul = lambda *a: python_celery.signature("tasks.mul", a)  # noqa: E731
    xsum = python_celery.signature("tasks.xsum")
    python_chord = chord([add(1), add(2)], xsum).apply_async(args=(10,))
    if worker_release.reads_chord_size_key:
        chord_value = python_chord.get(timeout=10)
    else:
        # Python 5.7's own chords fail on workers before 5.1 (no chord_size in the body).
        with pytest.raises(ChordError, match="chord_size"):
            python_chord.get(timeout=10)
        chord_value = 23
    python = [
        add(2).apply_async(args=(1,)).get(timeout=10),
        group(add(1), add(2)).apply_async(args=(10,)).get(timeout=10),
        chain(add(1), mul(3)).apply_async(args=(10,)).get(timeout=10),
        chord_value,
        python_celery.signature("tasks.add", (5, 5), immutable=True).apply_async(args=(10,)).get(timeout=10),
        python_celery.signature("tasks.add", (1,), {"y": 1}).apply_async(kwargs={"y": 5}).get(timeout=10),
    ]

    php = run_php.file("canvas.php", args=["partial_arguments"]).json()

    assert python == [3, [11, 12], 33, 23, 10, 6]
    assert php == python
