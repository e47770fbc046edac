"""Edge values a real worker judges: what the task receives is what PHP meant."""

from __future__ import annotations

from harness import CeleryWorker, Records


def test_a_local_mean_time_offset_keeps_its_seconds(worker: CeleryWorker, run_php, records: Records) -> None:
    """Europe/Amsterdam before 1937 is UTC+00:19:32: the worker gets that moment, not one 32 s off."""
    task_id = run_php.file("edge_values.php").json()
    record = records.pop()

    assert record["request"]["id"] == task_id
    assert record["arg_types"] == ["datetime", "datetime"]
    assert record["args"] == ["1900-01-01T12:00:00+00:19:32", "1880-06-01T08:30:00.500000-04:56:02"]
