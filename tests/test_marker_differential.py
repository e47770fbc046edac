"""Issue 23.2: the publishing check for kombu type markers is kombu's own decoder.

Thousands of candidate markers per type (tests/marker_fuzz.py) go through CeleryBridge's check
in one PHP process (tests/php/marker_check.php); each answer is compared with what kombu's
object_hook (the pinned kombu, this Python) does with the same JSON. A marker PHP sends must
decode in kombu: one that does not makes the worker drop the task, or exit when it sits in a
header. A marker PHP refuses must be one kombu refuses too, but for the refusals the check makes
on purpose (INTENDED_REFUSALS).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from typing import Any

import kombu
from kombu.utils.json import loads as kombu_loads
from marker_fuzz import candidates

from harness import REPO_ROOT
from php_runner import PHP_FLAGS, PHP_SCRIPTS, ensure_autoload

PER_TYPE = 3000
SEED = 23

# What isoformat() writes, the only dates the check sends: Python before 3.11 reads nothing else
# with fromisoformat(), and a worker may run any Python 3.
ISOFORMAT = {
    "datetime": re.compile(
        r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d{3}|\.\d{6})?)?)?(?:[+-]\d{2}:\d{2})?)?",
        re.ASCII,
    ),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII),
    "time": re.compile(r"\d{2}(?::\d{2}(?::\d{2}(?:\.\d{3}|\.\d{6})?)?)?(?:[+-]\d{2}:\d{2})?", re.ASCII),
}


def holds_marker(value: Any) -> bool:
    if isinstance(value, dict):
        return value.keys() == {"__type__", "__value__"} or any(holds_marker(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_marker(v) for v in value)
    return False


def intended_refusal(kind: str, marker: dict[str, Any]) -> bool:
    """Markers kombu decodes that the check refuses on purpose."""
    value = marker["__value__"]
    if kind in ISOFORMAT:
        # Python 3.11+ reads more forms; an older worker would drop the message.
        return isinstance(value, str) and ISOFORMAT[kind].fullmatch(value) is None
    if holds_marker(value):
        # A marker as another's value (Decimal(Decimal(...)), a UUID whose int is a Decimal).
        return True
    # uuid.UUID(int=1.5) passes its range check but makes a UUID that cannot be printed.
    return kind == "uuid" and isinstance(value, dict) and type(value.get("int")) is float


def kombu_decodes(text: str) -> bool:
    try:
        kombu_loads(text)
    except Exception:  # noqa: BLE001 - any exception is the worker failing to decode the message
        return False
    return True


def test_marker_check_agrees_with_kombus_decoder() -> None:
    """Every candidate: PHP sends it only if kombu decodes it, and refuses it only if kombu
    refuses it (or it is an intended refusal)."""
    assert kombu.__version__.startswith("5.7"), kombu.__version__
    cases = list(candidates(PER_TYPE, SEED))
    lines = "".join(json.dumps(marker) + "\n" for _, marker in cases)
    ensure_autoload()
    done = subprocess.run(
        ["php", *PHP_FLAGS, str(PHP_SCRIPTS / "marker_check.php")],
        input=lines.encode(),
        capture_output=True,
        timeout=120,
        cwd=REPO_ROOT,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr.decode(errors="replace")[-3000:]
    answers = [json.loads(line) for line in done.stdout.decode().split("\n")[:-1]]
    assert len(answers) == len(cases)

    sent_but_undecodable: list[tuple[dict[str, Any], str]] = []
    refused_but_decodable: list[tuple[dict[str, Any], str]] = []
    outcome: Counter[tuple[str, str]] = Counter()
    for (kind, marker), answer in zip(cases, answers, strict=True):
        if "sent" in answer:
            # What kombu reads is exactly the JSON PHP would write.
            if not kombu_decodes(answer["sent"]):
                sent_but_undecodable.append((marker, answer["sent"]))
            outcome[kind, "sent"] += 1
        else:
            if kombu_decodes(json.dumps(marker)) and not intended_refusal(kind, marker):
                refused_but_decodable.append((marker, answer["refused"]))
            outcome[kind, "refused"] += 1

    assert sent_but_undecodable == [], (
        f"{len(sent_but_undecodable)} sent, kombu fails: {sent_but_undecodable[:20]}"
    )
    assert refused_but_decodable == [], (
        f"{len(refused_but_decodable)} refused, kombu decodes: {refused_but_decodable[:20]}"
    )
    # The candidates reach both sides of every type's rules.
    for kind in ["uuid", "decimal", "base64", "datetime", "date", "time", "bytes"]:
        assert outcome[kind, "sent"] >= 100 and outcome[kind, "refused"] >= 100 or kind == "bytes", (
            kind,
            outcome,
        )
