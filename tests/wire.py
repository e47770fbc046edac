"""What a publisher left in Redis: kombu envelopes, their bodies, stored results.

Generic helpers for any test that inspects messages (publishing, canvas, ...):

    queue_lists(client)          names of the Redis LISTs in a db (kombu queues and priority lists)
    read_envelopes(client, key)  the envelopes of one list, oldest publish first
    snapshot(client)             {list name: [envelopes]} for every list in the db
    decode_body(envelope)        base64 -> decompress -> deserialize
    normalize(envelope, ...)     body decoded, ids / origin / times replaced by stable stand-ins
    differences(a, b)            type-strict structural diff: [] when equal
    wait_for_meta(client, id)    the result backend's meta for a task, waiting on its pub/sub channel

Envelopes are the JSON objects kombu's Redis transport LPUSHes; the workers BRPOP, so the
right end of a list is the oldest message.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC
from typing import Any

import redis
from dateutil.parser import isoparse
from kombu import serialization
from kombu.compression import decompress

# kombu's separator between a queue name and its priority step ("celery\x06\x163").
SEP = "\x06\x16"
READY_STATES = frozenset({"SUCCESS", "FAILURE", "REVOKED"})
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ORIGIN = re.compile(r"^gen\d+@.+$")
# Where Celery writes absolute times (isoformat strings) and a per-message TTL (milliseconds).
TIME_HEADERS = ("eta", "expires")


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def queue_lists(client: redis.Redis) -> list[str]:
    """Names of every LIST in the client's db, sorted (priority lists keep their separator)."""
    names = [_text(key) for key in client.scan_iter(count=1000)]
    return sorted(name for name in names if _text(client.type(name)) == "list")


def read_envelopes(client: redis.Redis, key: str) -> list[dict[str, Any]]:
    """The envelopes in list `key`, in publish order (LPUSH puts the newest on the left)."""
    return [json.loads(raw) for raw in reversed(client.lrange(key, 0, -1))]


def snapshot(client: redis.Redis) -> dict[str, list[dict[str, Any]]]:
    """{list name: envelopes in publish order} for every list in the db."""
    return {name: read_envelopes(client, name) for name in queue_lists(client)}


def body_bytes(envelope: dict[str, Any]) -> bytes:
    """The serialized body: base64-decoded and decompressed as the envelope says."""
    body = envelope["body"]
    if envelope.get("properties", {}).get("body_encoding") == "base64":
        data = base64.b64decode(body, validate=True)
    else:
        data = body.encode("utf-8") if isinstance(body, str) else body
    compression = (envelope.get("headers") or {}).get("compression")
    return decompress(data, compression) if compression else data


def decode_body(envelope: dict[str, Any], *, markers: bool = False) -> Any:
    """The message body as data.

    JSON bodies are parsed as plain JSON, so kombu's {"__type__", "__value__"} markers stay
    visible; markers=True (and every non-JSON serializer) decodes them the way a worker does.
    """
    data = body_bytes(envelope)
    content_type = envelope["content-type"]
    if content_type == "application/json" and not markers:
        return json.loads(data)
    return serialization.loads(data, content_type, envelope["content-encoding"], accept=[content_type])


class Near:
    """A time span in seconds that compares equal to another within `tolerance`.

    Stands in for eta/expires/expiration, which differ between two publishes by the time that
    passed between them. `kind` keeps the JSON type the value had on the wire.
    """

    def __init__(self, seconds: float, kind: str, tolerance: float) -> None:
        self.seconds = seconds
        self.kind = kind
        self.tolerance = tolerance

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Near):
            return NotImplemented
        tolerance = max(self.tolerance, other.tolerance)
        return self.kind == other.kind and abs(self.seconds - other.seconds) <= tolerance

    def __hash__(self) -> int:
        return hash(self.kind)

    def __repr__(self) -> str:
        return f"<{self.kind}: publish + {self.seconds:.3f}s>"


def json_type(value: Any) -> str:
    """The JSON type of a decoded value; bool, int and float are told apart."""
    if isinstance(value, Near):
        return f"near-{value.kind}"
    for python_type, name in (
        (type(None), "null"),
        (bool, "bool"),
        (int, "int"),
        (float, "float"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    ):
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def iso_seconds(text: str) -> float | None:
    """Seconds since the epoch of an ISO-8601 string a worker would accept (naive = UTC), else None."""
    try:
        parsed = isoparse(text)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        # Every 5.x worker reads a time without offset as UTC.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def normalize(
    envelope: dict[str, Any],
    *,
    published_at: float | None = None,
    tolerance: float = 0.5,
    extra_time_paths: Iterable[str] = (),
    ids: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A copy of the envelope fit for comparing with another publish of the same call.

    - body: decoded (JSON markers kept as objects);
    - every UUID-shaped string becomes "<id1>", "<id2>", ... numbered by first appearance in a
      walk with sorted keys, so equal ids stay equal (id == root_id == correlation_id) and
      distinct ones stay distinct, whatever their values;
    - headers.origin "gen<pid>@<host>" becomes "<origin>";
    - with `published_at` (epoch seconds taken just before publishing): headers eta/expires
      become Near(seconds after publish) and properties.expiration (ms left) Near(seconds),
      equal to another within `tolerance`. Unparsable values are left as they are, so they
      show up as differences. `extra_time_paths` ("body.2.chord.options.eta") adds places.
    - `ids`: pass the same dict for several envelopes (e.g. every message of one canvas) to
      number their ids together, so an id shared between messages stays the same stand-in.
    """
    copy = json.loads(json.dumps(envelope))
    copy["body"] = decode_body(envelope)
    headers = copy.get("headers") or {}
    if isinstance(headers.get("origin"), str) and ORIGIN.match(headers["origin"]):
        headers["origin"] = "<origin>"
    if published_at is not None:
        for name in TIME_HEADERS:
            headers[name] = _relative(headers.get(name), published_at, tolerance)
        for path in extra_time_paths:
            _replace_at(copy, path, lambda value: _relative(value, published_at, tolerance))
        properties = copy.get("properties") or {}
        expiration = properties.get("expiration")
        if isinstance(expiration, str) and expiration.isdigit():
            properties["expiration"] = Near(int(expiration) / 1000, "ms-string", tolerance)
    return _number_ids(copy, {} if ids is None else ids)


def _relative(value: Any, published_at: float, tolerance: float) -> Any:
    if not isinstance(value, str):
        return value
    seconds = iso_seconds(value)
    return value if seconds is None else Near(seconds - published_at, "iso-string", tolerance)


def _replace_at(data: Any, path: str, replace: Callable[[Any], Any]) -> None:
    *parents, last = path.split(".")
    node = data
    for part in parents:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = replace(node[int(last)])
    elif isinstance(node, dict) and last in node:
        node[last] = replace(node[last])


def _number_ids(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str) and UUID.match(value):
        return ids.setdefault(value, f"<id{len(ids) + 1}>")
    if isinstance(value, list):
        return [_number_ids(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _number_ids(value[key], ids) for key in sorted(value)}
    return value


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every structural difference: missing/extra keys, list lengths, JSON types, values.

    Type-strict (1, 1.0 and True differ). An empty list means the two are the same.
    """
    where = path or "<root>"
    if json_type(expected) != json_type(actual):
        return [f"{where}: {json_type(expected)} {expected!r} != {json_type(actual)} {actual!r}"]
    if isinstance(expected, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            child = f"{path}.{key}" if path else key
            if key not in actual:
                found.append(f"{child}: missing on the right")
            elif key not in expected:
                found.append(f"{child}: only on the right ({actual[key]!r})")
            else:
                found.extend(differences(expected[key], actual[key], child))
        return found
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items != {len(actual)} items ({expected!r} != {actual!r})"]
        found = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found.extend(differences(left, right, f"{path}.{index}" if path else str(index)))
        return found
    if expected != actual:
        return [f"{where}: {expected!r} != {actual!r}"]
    return []


def wait_for_meta(
    client: redis.Redis,
    task_id: str,
    timeout: float = 10.0,
    *,
    prefix: str = "",
    ready_only: bool = True,
) -> dict[str, Any]:
    """The stored meta of a task (Redis result backend), waiting for it to be written.

    The backend SETs `celery-task-meta-<id>` and PUBLISHes the same text on a channel of that
    name; we subscribe first and re-read the key on each message, so nothing is missed.
    """
    key = f"{prefix}celery-task-meta-{task_id}"
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(key)
    deadline = time.monotonic() + timeout
    try:
        while True:
            raw = client.get(key)
            if raw is not None:
                meta = json.loads(raw)
                if not ready_only or meta.get("status") in READY_STATES:
                    return meta
            left = deadline - time.monotonic()
            if left <= 0:
                state = "no key" if raw is None else json.loads(raw).get("status")
                raise TimeoutError(f"no ready result for task {task_id} within {timeout}s ({state})")
            pubsub.get_message(timeout=min(left, 1.0))
    finally:
        pubsub.close()
