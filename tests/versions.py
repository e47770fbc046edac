"""The Celery, kombu and Python releases of the workers the tests start, and what follows from them.

`make matrix` runs the interop tests against workers of Celery 4.4 to 5.7
(CELERYBRIDGE_WORKER_PYTHON). Some behaviours are Celery's or kombu's and change with the
release, the same for Python's own send_task() as for CeleryBridge. The tests assert each
release's behaviour through the properties below instead of skipping.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from dataclasses import dataclass
from typing import Any

from harness import WORKER_PYTHON

Version = tuple[int, ...]

PROBE = (
    "import json, sys, celery, kombu, redis; print(json.dumps({'celery': celery.__version__, "
    "'kombu': kombu.__version__, 'redis': redis.__version__, 'python': list(sys.version_info[:3])}))"
)


def parse(text: str) -> Version:
    """'5.2.7' -> (5, 2, 7); a pre-release suffix is dropped ('5.3.0rc1' -> (5, 3, 0))."""
    match = re.match(r"\d+(?:\.\d+)*", text)
    return tuple(int(part) for part in match.group().split(".")) if match else ()


@dataclass(frozen=True)
class WorkerVersions:
    celery: Version
    kombu: Version
    redis_py: Version
    python: Version

    @property
    def kombu_markers(self) -> bool:
        """kombu 5.3+ encodes and decodes datetime, date, time, Decimal, UUID and bytes as
        {"__type__", "__value__"} markers; before, datetimes become ISO strings, Decimal and
        UUID plain strings, bytes cannot be sent in JSON at all, and received markers stay dicts."""
        return self.kombu >= (5, 3)

    @property
    def native_delayed_delivery(self) -> bool:
        """Celery 5.5+ routes a countdown/eta on a quorum queue with a topic exchange through
        RabbitMQ's celery_delayed_* exchanges, which its workers declare at start; before, no
        worker builds them (and Celery itself publishes such a task with its eta header only)."""
        return self.celery >= (5, 5)

    @property
    def global_keyprefix(self) -> bool:
        """broker_transport_options' global_keyprefix exists from kombu 5.3."""
        return self.kombu >= (5, 3)

    @property
    def custom_headers_in_request_headers(self) -> bool:
        """Celery 5.3+ puts custom message headers in self.request.headers; before, each one is
        an attribute of self.request and request.headers is None."""
        return self.celery >= (5, 3)

    @property
    def reads_ignore_result_header(self) -> bool:
        """The per-message ignore_result header is honoured from Celery 5.1."""
        return self.celery >= (5, 1)

    @property
    def explicit_ignore_result_false_wins(self) -> bool:
        """From Celery 5.6 an explicit ignore_result=False in the message stores the result of a
        task declared with ignore_result=True; before, the header can only add ignoring."""
        return self.celery >= (5, 6)

    @property
    def request_has_message_properties(self) -> bool:
        """From Celery 5.2 a task's request carries the message's properties (app_id, ...)."""
        return self.celery >= (5, 2)

    @property
    def stamping(self) -> bool:
        """Stamped headers (and revoke_by_stamped_headers) exist from Celery 5.3."""
        return self.celery >= (5, 3)

    @property
    def reads_chord_size_key(self) -> bool:
        """Celery 5.1+ workers count a chord against the size key the client stores; 5.0 and
        older read chord_size from the body, which Celery 5.7's client no longer sends."""
        return self.celery >= (5, 1)

    @property
    def keeps_nested_chord_results(self) -> bool:
        """From Celery 5.0 a worker completing a chord whose saved header holds a group gives
        the body the nested values ([[a, b]]); Celery 4 flattens them ([a, b])."""
        return self.celery >= (5, 0)

    @property
    def revoke_races_terminate(self) -> bool:
        """Celery 5.6 stores REVOKED (reason "revoked") on the broadcast even for a running
        task, racing the "terminated" the pool stores when it kills it; 5.7 leaves running
        tasks to the pool."""
        return (5, 6) <= self.celery < (5, 7)

    @property
    def stores_failure_on_reject(self) -> bool:
        """Celery 5.7 stores FAILURE for a task that raised Reject(requeue=False); before, no
        state at all is stored (PENDING forever)."""
        return self.celery >= (5, 7)

    @property
    def chain_failure_fails_the_rest(self) -> bool:
        """From Celery 5.1 a failed chain step stores FAILURE for the steps after it too, so
        waiting on the chain's last result ends; before, those stay PENDING."""
        return self.celery >= (5, 1)

    @property
    def chord_error_wrapped(self) -> bool:
        """Celery 4 wraps a chord header's failure once more on the body: Callback error:
        ChordError("Dependency ... raised ...")."""
        return self.celery < (5, 0)

    @property
    def stores_revoked_on_broadcast(self) -> bool:
        """From Celery 5.6 a worker stores REVOKED when the revoke broadcast arrives; before,
        only when the revoked task's message reaches it."""
        return self.celery >= (5, 6)


@functools.cache
def worker_versions() -> WorkerVersions:
    """Asks the worker's interpreter (CELERYBRIDGE_WORKER_PYTHON, or this one) once."""
    found = json.loads(subprocess.run([WORKER_PYTHON, "-c", PROBE], capture_output=True, check=True,
                                      text=True, timeout=60).stdout)
    return versions_from_probe(found)


def versions_from_probe(found: dict[str, Any]) -> WorkerVersions:
    """PROBE's output (or the same fields from a worker's inspect report) as WorkerVersions."""
    return WorkerVersions(
        celery=parse(found["celery"]),
        kombu=parse(found["kombu"]),
        redis_py=parse(found["redis"]),
        python=tuple(found["python"]),
    )
