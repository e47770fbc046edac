"""The URL table PHP is tested against (php/tests/Unit/Connection/fixtures/urls.json), read by
kombu and Celery themselves: every expectation there is what Celery 5.7 does, and every
rejection is one Celery makes too, except the rows marked "celery": "accepts" (where PHP fails
early on something Celery would only trip over when connecting, or silently ignore).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from celery_urls import broker_params, celery_view
from kombu import Connection

TABLE = Path(__file__).resolve().parents[2] / "php/tests/Unit/Connection/fixtures/urls.json"
CASES: list[dict[str, Any]] = json.loads(TABLE.read_text())


def _comparable(case: dict[str, Any], nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # kombu reads only host and port from the sentinels after the first.
    if case["url"].lower().startswith("sentinel://"):
        return [nodes[0], *[{"host": n["host"], "port": n["port"]} for n in nodes[1:]]]
    return nodes


@pytest.mark.parametrize("case", [c for c in CASES if "reject" not in c and c.get("celery") != "rejects"],
                         ids=lambda c: c["name"])
def test_celery_reads_the_url_as_php_does(case: dict[str, Any]) -> None:
    assert _comparable(case, celery_view(case)) == _comparable(case, case["expect"]["nodes"])


@pytest.mark.parametrize("case", [c for c in CASES if c.get("celery") == "rejects" or
                                  ("reject" in c and c.get("celery") != "accepts")],
                         ids=lambda c: c["name"])
def test_celery_rejects_what_php_rejects(case: dict[str, Any]) -> None:
    with pytest.raises((ValueError, TypeError, KeyError)):
        celery_view(case)


@pytest.mark.parametrize("case", [c for c in CASES if "reject" in c and c.get("celery") == "accepts"],
                         ids=lambda c: c["name"])
def test_the_documented_differences_are_real(case: dict[str, Any]) -> None:
    """PHP rejects these early; Celery accepts them at configuration time (see "why")."""
    assert case.get("why")
    url: str = case["url"]
    options = case.get("config", {}).get("broker_transport_options", {})
    Connection(url, transport_options=options)
    first = url.split(";", 1)[0]
    if first.startswith(("redis", "sentinel")):
        broker_params(url if first.startswith("sentinel") else first, case.get("config", {}))
