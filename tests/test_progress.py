"""Custom states and progress from PHP (issue 30, item 5): update_state(state='PROGRESS', meta=...)
read as state() + info(), and get(onMessage: ...) called with each state while it waits.

tasks.progress_steps stores PROGRESS {"done": i, "total": n} and then waits for a gate before
the next step; the PHP callback opens the gate when it sees a PROGRESS state, so every step is
stored only after PHP has seen the one before: no state can be skipped or raced.
"""

from __future__ import annotations

import uuid

from harness import CeleryWorker

OPEN_GATE = """
$url = parse_url($brokerUrl);
$gates = new \\Redis();
$gates->connect($url['host'], $url['port']);
$gates->select((int) ltrim($url['path'] ?? '/0', '/'));
"""


def test_get_calls_on_message_with_every_progress_state(worker: CeleryWorker, run_php) -> None:
    gate = f"progress-gate-{uuid.uuid4()}"
    out = run_php(
        OPEN_GATE
        + f"$gate = '{gate}';\n"
        + """
use CeleryBridge\\Result\\{ResultMeta, State};
$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
$result = $celery->sendTask('tasks.progress_steps', [$gate, 3]);
$seen = [];
$typed = null;
$onMessage = function (ResultMeta $meta) use ($gates, $gate, $result, &$seen, &$typed) {
    $seen[] = [$meta->taskId === $result->id, $meta->status, $meta->result];
    if ($meta->status === 'PROGRESS') {
        // What any reader sees meanwhile: the custom state and its meta.
        $typed ??= [$result->state(), $result->info(), $result->ready(), State::isBuiltin($result->state())];
        $gates->rPush($gate, 'go');
    }
};
$value = $result->get(timeout: 30.0, onMessage: $onMessage);
echo json_encode([$value, $seen, $typed, $result->info()]);
""",
        timeout=60,
    ).json()

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
    out = run_php(
        """
$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
$result = $celery->sendTask('tasks.add', [2, 3]);
$celery->result($result->id)->get(timeout: 30.0);
$seen = [];
$value = $celery->result($result->id)->get(timeout: 5.0, onMessage: function ($meta) use (&$seen) {
    $seen[] = [$meta->status, $meta->result];
});
echo json_encode([$value, $seen]);
"""
    ).json()
    assert out == [5, [["SUCCESS", 5]]]
