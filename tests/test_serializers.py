"""Serializers and compression: the worker decodes what PHP encodes, with the same values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness import CeleryWorker, Records


@pytest.mark.parametrize(
    ("config", "options"),
    [
        pytest.param(
            {},
            [{"serializer": "msgpack"}, {"compression": "zlib"}, {"compression": "bzip2"}],
            id="per-task options",
        ),
        pytest.param({"task_serializer": "msgpack", "task_compression": "gzip"}, [{}], id="config"),
        pytest.param({"task_protocol": 1}, [{}, {"compression": "bzip"}], id="protocol 1"),
    ],
)
def test_worker_decodes_every_encoding_to_the_same_values(
    worker: CeleryWorker, run_php, records: Records, config: dict[str, Any], options: list[dict[str, Any]]
) -> None:
    """Each encoding reaches the task with identical args, kwargs and Python types."""
    env = {"CB_CONFIG": json.dumps(config), "CB_OPTIONS": json.dumps(options)}
    ids = run_php.file("serializers_send.php", env=env).json()

    received = {r["request"]["id"]: r for r in records.pop_many(len(ids))}

    assert set(received) == set(ids)
    for record in received.values():
        assert record["args"] == [1, 2.5, "é😀", [True, None], {"k": []}]
        assert record["arg_types"][:3] == ["int", "float", "str"]
        assert record["kwargs"] == {"n": 7}
