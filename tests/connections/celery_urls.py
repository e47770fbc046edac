"""What kombu and Celery make of a Redis URL, in the shape of the URL table
(php/tests/Unit/Connection/fixtures/urls.json): the connection parameters of the broker's
channel or of the result backend, read without connecting. The URL tests compare PHP's reading
with it.
"""

from __future__ import annotations

import ssl
from typing import Any

from celery import Celery
from celery.backends.redis import RedisBackend, SentinelBackend
from kombu import Connection
from kombu.utils.url import url_to_parts

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


def node(params: dict[str, Any]) -> dict[str, Any]:
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


def broker_params(url: str, config: dict[str, Any]) -> dict[str, Any]:
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
            first = node({**hosts[0], "db": params.get("db"), "password": params.get("password")})
            return [first, *[node(h) for h in hosts[1:]]]
        return [node(params)]
    pieces = url.split(";")
    if pieces[0].lower().startswith("sentinel://"):
        first = node(broker_params(url, config))
        nodes = [first]
        for piece in pieces[1:]:
            parts = url_to_parts(piece)
            nodes.append({**node({}), "host": parts.hostname, "port": parts.port or 26379})
        return nodes
    return [node(broker_params(piece, config)) for piece in pieces]
