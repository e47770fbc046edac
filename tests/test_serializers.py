"""Serializers and compression: the worker decodes what PHP encodes, with the same values."""

from __future__ import annotations

import pytest

from harness import CeleryWorker, Records

SEND = """
$celery = new CeleryClient(broker: $brokerUrl, config: %(config)s);
$args = [1, 2.5, 'é😀', [true, null], ['k' => []]];
$ids = [];
foreach (%(options)s as $options) {
    $ids[] = $celery->sendTask('tasks.record', $args, ['n' => 7], $options)->id;
}
echo json_encode($ids);
"""


@pytest.mark.parametrize(
    ("config", "options"),
    [
        pytest.param(
            "[]",
            "[['serializer' => 'msgpack'], ['compression' => 'zlib'], ['compression' => 'bzip2']]",
            id="per-task options",
        ),
        pytest.param("['task_serializer' => 'msgpack', 'task_compression' => 'gzip']", "[[]]", id="config"),
        pytest.param("['task_protocol' => 1]", "[[], ['compression' => 'bzip']]", id="protocol 1"),
    ],
)
def test_worker_decodes_every_encoding_to_the_same_values(
    worker: CeleryWorker, run_php, records: Records, config: str, options: str
) -> None:
    """Each encoding reaches the task with identical args, kwargs and Python types."""
    ids = run_php(SEND % {"config": config, "options": options}).json()

    received = {r["request"]["id"]: r for r in records.pop_many(len(ids))}

    assert set(received) == set(ids)
    for record in received.values():
        assert record["args"] == [1, 2.5, "é😀", [True, None], {"k": []}]
        assert record["arg_types"][:3] == ["int", "float", "str"]
        assert record["kwargs"] == {"n": 7}
