"""Custom states and progress from PHP (issue 30, item 5): update_state(state='PROGRESS', meta=...)
read as state() + info(), and get(onMessage: ...) called with each state while it waits.

tasks.progress_steps stores PROGRESS {"done": i, "total": n} and then waits for a gate before
the next step; the PHP callback opens the gate when it sees a PROGRESS state, so every step is
stored only after PHP has seen the one before: no state can be skipped or raced.
"""

from __future__ import annotations

import uuid

from harness import CeleryWorker


def test_get_calls_on_message_with_every_progress_state(worker: CeleryWorker, run_php) -> None:
    gate = f"progress-gate-{uuid.uuid4()}"
    env = {"CB_GATE": gate}
    out = run_php.file("progress.php", args=["every_progress_state"], env=env, timeout=60).json()

    value, seen, typed, info = out
    assert value == "done" and info == "done"
    assert seen == [
        [True, "PROGRESS", {"done": 1, "total": 3}],
        [True, "PROGRESS", {"done": 2, "total": 3}],
        [True, "PROGRESS", {"done": 3, "total": 3}],
        [True, "SUCCESS", "done"],
    ]
    assert typed == ["PROGRESS", {"done": 1, "total": 3}, False, False]


def test_on_message_sees_the_state_of_a_task_that_already_finished(worker: CeleryWorker, run_php) -> None:
    """A result stored before get() reaches the callback once, as its only state."""
    out = run_php.file("progress.php", args=["already_finished"]).json()
    assert out == [5, [["SUCCESS", 5]]]
