"""Canvases as callbacks, empty groups and chord headers, message properties (issue 11).

Each canvas is sent once from Python's own client and once from PHP to the session worker,
and what the tasks saw (tasks.record pushes its args) must be the same on both sides.
"""

from __future__ import annotations

import re
from typing import Any

from celery import chain, chord, group

from canvas_snippets import PREAMBLE, sentinel_drain
from harness import CeleryWorker, Records
from versions import WorkerVersions

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# name: (Python canvas builder taking (s, si, marker), PHP expression using $s / $si / $m,
#        the records the tasks must see, with "<id>" for the failed task's id)
CALLBACK_FORMS: dict[str, tuple[Any, str, list[list[Any]]]] = {
    "link_chain": (
        lambda s, si, m: s("tasks.add", 1, 2).set(link=chain(s("tasks.add", 10), s("tasks.record", m))),
        "$s('tasks.add', 1, 2)->withLink(new Chain($s('tasks.add', 10), $r()))",
        [[13, "M"]],
    ),
    "link_group": (
        lambda s, si, m: s("tasks.add", 1, 2).set(
            link=group(s("tasks.record", m, "a"), s("tasks.record", m, "b"))
        ),
        "$s('tasks.add', 1, 2)->withLink(new Group($r('a'), $r('b')))",
        [[3, "M", "a"], [3, "M", "b"]],
    ),
    "link_chord": (
        lambda s, si, m: s("tasks.add", 1, 2).set(
            link=chord([s("tasks.add", 1), s("tasks.add", 2)], s("tasks.record", m))
        ),
        "$s('tasks.add', 1, 2)->withLink(new Chord([$s('tasks.add', 1), $s('tasks.add', 2)], $r()))",
        [[[4, 5], "M"]],
    ),
    "errback_group": (
        lambda s, si, m: si("tasks.fail", "boom").set(
            link_error=group(s("tasks.record", m, "g1"), s("tasks.record", m, "g2"))
        ),
        "$si('tasks.fail', 'boom')->withLinkError(new Group($r('g1'), $r('g2')))",
        [["<id>", "M", "g1"], ["<id>", "M", "g2"]],
    ),
    "errback_chord": (
        lambda s, si, m: si("tasks.fail", "boom").set(
            link_error=chord([s("tasks.record", m, "h")], si("tasks.record", m, "body"))
        ),
        "$si('tasks.fail', 'boom')->withLinkError(new Chord([$r('h')], $ri('body')))",
        [["<id>", "M", "h"], ["M", "body"]],
    ),
    "errback_chain_in_a_group": (
        lambda s, si, m: si("tasks.fail", "boom").set(
            link_error=group(chain(s("tasks.record", m, "c1"), si("tasks.record", m, "c2")))
        ),
        "$si('tasks.fail', 'boom')->withLinkError(new Group(new Chain($r('c1'), $ri('c2'))))",
        [["<id>", "M", "c1"], ["M", "c2"]],
    ),
    # group.link() marks the chain immutable, but a worker rebuilding a chain from its dict drops
    # the flag: the first task gets the first group task's result (2) all the same.
    "group_link_chain": (
        lambda s, si, m: _linked(
            group(s("tasks.add", 1, 1), s("tasks.add", 2, 2)), chain(s("tasks.add", 5), s("tasks.record", m))
        ),
        "(new Group($s('tasks.add', 1, 1), $s('tasks.add', 2, 2)))->withLink(new Chain($s('tasks.add', 5), "
        "$r()))",
        [[7, "M"]],
    ),
}


def _linked(canvas: Any, callback: Any) -> Any:
    """group.link() changes the group in place and returns the callback, not the group."""
    canvas.link(callback)
    return canvas


def _seen(records: list[dict[str, Any]], marker: str) -> list[list[Any]]:
    def plain(value: Any) -> Any:
        if value == marker:
            return "M"
        if isinstance(value, str) and UUID.match(value):
            return "<id>"
        return value

    return sorted(([plain(a) for a in r["args"]] for r in records), key=repr)


def test_any_canvas_is_a_callback_as_with_celerys_client(
    worker: CeleryWorker, run_php, python_celery, records: Records
) -> None:
    expected_count = sum(len(seen) for _, _, seen in CALLBACK_FORMS.values())

    def s(name: str, *args: Any) -> Any:
        return python_celery.signature(name, args)

    def si(name: str, *args: Any) -> Any:
        return python_celery.signature(name, args, immutable=True)

    for build, _, _ in CALLBACK_FORMS.values():
        build(s, si, "py").apply_async()
    python = _seen(records.pop_many(expected_count, timeout=30), "py")

    sends = "\n".join(f"$celery->send({php});" for _, php, _ in CALLBACK_FORMS.values())
    run_php(
        PREAMBLE
        + "$s = fn (string $n, ...$a) => new Signature($n, $a);\n"
        + "$si = fn (string $n, ...$a) => (new Signature($n, $a))->asImmutable();\n"
        + "$m = 'php';\n"
        + "$r = fn (...$a) => new Signature('tasks.record', [$m, ...$a]);\n"
        + "$ri = fn (...$a) => $r(...$a)->asImmutable();\n"
        + sends
    )
    php = _seen(records.pop_many(expected_count, timeout=30), "php")

    assert php == python
    assert python == sorted((seen for _, _, seen in CALLBACK_FORMS.values() for seen in seen), key=repr)
    assert sentinel_drain(run_php, records) == []


def test_a_chain_errback_is_refused_because_workers_cannot_run_it(redis_server, run_php) -> None:
    """A Celery 5.7 worker calls a chain errback in-process as errback(request, exc, traceback)
    and fails to serialize the request: the errback never runs. PHP refuses it before writing."""
    outcome = run_php.file("canvas.php", args=["chain_errback_refused"]).json()

    assert outcome is not None
    message, waiting = outcome
    assert "new Group($chain)" in message
    assert waiting == 0


def test_empty_groups_and_chord_headers_as_celerys_client(
    worker: CeleryWorker, run_php, python_celery
) -> None:
    """An empty group gives [] and publishes nothing; a chain skips it; a chord with an empty
    header runs its body at once with []."""

    def s(name: str, *args: Any) -> Any:
        return python_celery.signature(name, args)

    python = [
        group([]).apply_async().get(timeout=10),
        chord([], s("tasks.xsum")).apply_async().get(timeout=10),
        chain(s("tasks.add", 1, 1), group([]), s("tasks.mul", 3)).apply_async().get(timeout=10),
        chord(group([]), s("tasks.add", [7])).apply_async().get(timeout=10),
    ]
    php = run_php.file("canvas.php", args=["empty_groups"]).json()

    assert python == [[], 0, 6, [7]]
    assert php == python


def test_amqp_properties_and_reply_to_reach_the_worker(
    worker: CeleryWorker, run_php, records: Records, worker_release: WorkerVersions
) -> None:
    run_php(
        "$celery = new CeleryClient(broker: $brokerUrl);\n"
        "$celery->sendTask('tasks.record', ['props'], [], "
        "['app_id' => 'billing', 'type' => 'invoice', 'timestamp' => 1764000000, "
        "'reply_to' => 'billing-replies']);"
    )

    record = records.pop()
    assert record["request"]["reply_to"] == "billing-replies"
    if not worker_release.request_has_message_properties:
        return
    properties = record["request_vars"]["properties"]
    assert {k: properties.get(k) for k in ("app_id", "type", "timestamp")} == {
        "app_id": "billing",
        "type": "invoice",
        "timestamp": 1764000000,
    }
