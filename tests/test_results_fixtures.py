"""Result payloads encoded by Celery's own Redis backend, for the PHP unit tests of the decoder.

php/tests/Unit/Backend/fixtures/results.json maps a case name to the base64 of the exact bytes
Celery 5.7 stores in `celery-task-meta-<id>` (date_done pinned so the file is stable). The test
below fails when the installed Celery would write something else; regenerate with
`UPDATE_RESULT_FIXTURES=1 .venv/bin/pytest tests/test_results_fixtures.py`.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.app.task import Context
from celery.exceptions import NotRegistered, TaskRevokedError

from python_worker.errors import PaymentDeclined
from python_worker.result_tasks import SAMPLES

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "php" / "tests" / "Unit" / "Backend" / "fixtures" / "results.json"
DATE_DONE = "2030-01-02T03:04:05.678901+00:00"
TASK_ID = "d6c5e3f4-1b2a-4c3d-9e8f-0a1b2c3d4e5f"


def _backend(**settings: Any) -> Any:
    app = Celery("fixtures", set_as_current=False)
    # Never connected: encoding needs no server.
    app.conf.update(result_backend="redis://127.0.0.1:1/0", **settings)
    return app.backend


TRACEBACK = 'Traceback (most recent call last):\n  File "tasks.py", line 9, in fail\nValueError: boom\n'


def _meta(backend: Any, result: Any, state: str, traceback: str | None = None, request: Any = None) -> bytes:
    meta = backend._get_result_meta(result=result, state=state, traceback=traceback, request=request)
    if meta["date_done"] is not None:
        meta["date_done"] = DATE_DONE
    meta["task_id"] = TASK_ID
    encoded = backend.encode(meta)
    return encoded if isinstance(encoded, bytes) else encoded.encode()


def build_fixtures() -> dict[str, str]:
    """Every case as base64 of the stored bytes."""
    plain = _backend()
    exc = plain.prepare_exception
    extended = _backend(result_extended=True)
    request = Context(
        id=TASK_ID,
        task="tasks.add",
        args=[2, 3],
        kwargs={"z": 1},
        hostname="celery@host",
        retries=2,
        delivery_info={"routing_key": "math"},
        group="group-1",
        parent_id="parent-1",
    )
    cases: dict[str, bytes] = {
        "success_samples": _meta(plain, SAMPLES, "SUCCESS"),
        "success_int": _meta(plain, 5, "SUCCESS"),
        "success_null": _meta(plain, None, "SUCCESS"),
        "failure_value_error": _meta(plain, exc(ValueError("boom")), "FAILURE", TRACEBACK),
        "failure_custom": _meta(plain, exc(PaymentDeclined("no money")), "FAILURE", "Traceback"),
        "failure_key_error": _meta(plain, exc(KeyError("k")), "FAILURE"),
        "failure_many_args": _meta(plain, exc(Exception("a", 2, None)), "FAILURE"),
        "failure_not_registered": _meta(plain, exc(NotRegistered("tasks.nope")), "FAILURE"),
        "revoked_expired": _meta(plain, exc(TaskRevokedError("expired")), "REVOKED"),
        "retry": _meta(plain, exc(LookupError("closed")), "RETRY", "Traceback (retry)"),
        "started": _meta(plain, {"pid": 4242, "hostname": "celery@host"}, "STARTED"),
        "custom_state": _meta(plain, {"done": 3}, "PROGRESS"),
        "extended": _meta(extended, 5, "SUCCESS", request=request),
        "compressed_zlib": _meta(_backend(result_compression="zlib"), SAMPLES, "SUCCESS"),
        "compressed_bzip2": _meta(_backend(result_compression="bzip2"), {"big": "x" * 1000}, "SUCCESS"),
        "compressed_lzma": _meta(_backend(result_compression="lzma"), 1, "SUCCESS"),
    }
    return {name: base64.b64encode(payload).decode() for name, payload in sorted(cases.items())}


def test_php_decoder_fixtures_are_what_celery_writes() -> None:
    fresh = build_fixtures()
    if os.environ.get("UPDATE_RESULT_FIXTURES") == "1":
        FIXTURES.parent.mkdir(parents=True, exist_ok=True)
        FIXTURES.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n")
    stored = json.loads(FIXTURES.read_text())
    assert stored.keys() == fresh.keys()
    for name, payload in fresh.items():
        assert stored[name] == payload, name
