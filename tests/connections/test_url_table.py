"""The URL table PHP is tested against (php/tests/Unit/Connection/fixtures/urls.json), read by
kombu and Celery themselves: every expectation there is what Celery 5.7 does, and every
rejection is one Celery makes too, except the rows marked "celery": "accepts" (where PHP fails
early on something Celery would only trip over when connecting, or silently ignore).
"""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.backends.redis import RedisBackend, SentinelBackend
from kombu import Connection
from kombu.utils.url import url_to_parts

TABLE = Path(__file__).resolve().parents[2] / "php/tests/Unit/Connection/fixtures/urls.json"
CASES: list[dict[str, Any]] = json.loads(TABLE.read_text())

CERT_REQS = {
    ssl.CERT_REQUIRED: "required",
    ssl.CERT_OPTIONAL: "optional",
    ssl.CERT_NONE: "none",
    "required": "required",
    "optional": "optional",
    "none": "none",
    "CERT_REQUIRED": "required",
    "CERT_OPTIONAL": "optional",
    "CERT_NONE": "none",
}


def _node(params: dict[str, Any]) -> dict[str, Any]:
    """A redis-py connection-parameter dict in the shape of the table."""
    cls = params.get("connection_class")
    name = cls.__name__ if isinstance(cls, type) else str(cls)
    unix = "UnixDomainSocket" in name
    tls = "SSL" in name
    reqs = params.get("ssl_cert_reqs")
    return {
        "transport": "unix" if unix else ("tls" if tls else "tcp"),
        "host": None if unix else params.get("host"),
        "port": None if unix else params.get("port"),
        "path": params.get("path") if unix else None,
        "db": int(params.get("db") or 0),
        "username": params.get("username") or None,
        "password": params.get("password") or None,
        "cert_reqs": CERT_REQS[reqs] if tls and reqs is not None else ("required" if tls else None),
        "ca_certs": params.get("ssl_ca_certs") if tls else None,
        "certfile": params.get("ssl_certfile") if tls else None,
        "keyfile": params.get("ssl_keyfile") if tls else None,
        "check_hostname": params.get("ssl_check_hostname") if tls else None,
    }


def _broker_params(url: str, config: dict[str, Any]) -> dict[str, Any]:
    """kombu's redis-py parameters for one broker URL, without connecting."""
    options = config.get("broker_transport_options", {})
    conn = Connection(url, transport_options=options, ssl=config.get("broker_use_ssl") or False)
    transport = conn.transport
    channel_cls = transport.Channel
    channel = object.__new__(channel_cls)
    channel.connection = transport
    for key in channel_cls.from_transport_options:
        if key in options:
            setattr(channel, key, options[key])
    params = channel._connparams()
    if url.startswith("sentinel://"):
        channel._sentinel_managed_pool()  # raises without master_name, as kombu does
    return params


def celery_view(case: dict[str, Any]) -> list[dict[str, Any]]:
    """What Celery makes of the case's URL, in the table's shape; raises where Celery does."""
    url: str = case["url"]
    config: dict[str, Any] = case.get("config", {})
    if case.get("role", "broker") == "backend":
        app = Celery("urltable", set_as_current=False)
        app.conf.update(config)
        app.conf.result_backend = url
        scheme = url.split("://", 1)[0]
        if "+" in scheme:
            url = url.split("+", 1)[1]
        cls = SentinelBackend if scheme == "sentinel" else RedisBackend
        backend = cls(app=app, url=url)
        params = backend.connparams
        if scheme == "sentinel":
            hosts = params["hosts"]
            first = _node({**hosts[0], "db": params.get("db"), "password": params.get("password")})
            return [first, *[_node(h) for h in hosts[1:]]]
        return [_node(params)]
    pieces = url.split(";")
    if pieces[0].lower().startswith("sentinel://"):
        first = _node(_broker_params(url, config))
        nodes = [first]
        for piece in pieces[1:]:
            parts = url_to_parts(piece)
            nodes.append({**_node({}), "host": parts.hostname, "port": parts.port or 26379})
        return nodes
    return [_node(_broker_params(piece, config)) for piece in pieces]


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
        _broker_params(url if first.startswith("sentinel") else first, case.get("config", {}))
