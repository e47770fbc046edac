"""The PHP the canvas tests share: a client with signature makers, and the sentinel that proves
nothing else ran (test_canvas.py, test_canvas_callbacks.py).

The worker consumes its queue in order, so once a sentinel task sent afterwards has run, every
earlier message has been handled.
"""

from __future__ import annotations

from typing import Any

from harness import Records

PREAMBLE = """
use CeleryBridge\\Canvas\\{Signature, Chain, Group, Chord};
$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
$add = fn (...$a) => new Signature('tasks.add', $a);
$mul = fn (...$a) => new Signature('tasks.mul', $a);
$xsum = new Signature('tasks.xsum');
$record = fn (...$a) => new Signature('tasks.record', $a);
$fail = (new Signature('tasks.fail', ['boom']))->asImmutable();
"""


SENTINEL = "$celery = new CeleryClient(broker: $brokerUrl);\n$celery->sendTask('tasks.record', ['sentinel']);"


def sentinel_drain(run_php, records: Records) -> list[dict[str, Any]]:
    """Send a sentinel task and return every record that arrives before it."""
    run_php(SENTINEL)
    before = []
    while True:
        record = records.pop()
        if record["args"] == ["sentinel"]:
            return before
        before.append(record)
