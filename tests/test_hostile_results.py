"""Issue 9: whatever sits in the result backend, reading it never crashes or stalls PHP.

Every value below is stored under a task's key (as a broken worker, another client or an
attacker with access to Redis could leave it) and read by one PHP process running with
memory_limit=128M, as a web request would. Each read ends in a value or in one of our
exceptions; PHP prints no warning and does not die, and memory stays bounded.
"""

from __future__ import annotations

import bz2
import json
import uuid
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

import databases
from harness import MadeKeys, RedisServer
from php_runner import php_get_listening

BACKEND_DB = databases.BACKEND
MEMORY_LIMIT = ["-d", "memory_limit=128M"]
COMPRESSED = b"\x00celery-compressed\x00"
MB = 1 << 20


def meta(result: Any, status: str = "SUCCESS", **extra: Any) -> bytes:
    return json.dumps({"status": status, "result": result, "traceback": None, "children": [],
                       "date_done": "2030-01-01T00:00:00.000000+00:00", **extra}).encode()


def _stream(compressor: Any, head: bytes, filler: bytes, size: int, tail: bytes) -> bytes:
    """Compresses head + filler * (size / len) + tail without holding the inflated text."""
    chunk = filler * (MB // len(filler))
    parts = [compressor.compress(head)]
    parts += [compressor.compress(chunk) for _ in range(size // MB)]
    return b"".join(parts) + compressor.compress(tail) + compressor.flush()


def bomb(content_type: str, size: int) -> bytes:
    """A result of `size` bytes of JSON text, compressed the way result_compression stores it."""
    compressor = bz2.BZ2Compressor(9) if "bz2" in content_type else zlib.compressobj(9)
    body = _stream(compressor, b'{"status": "SUCCESS", "result": "', b"a", size, b'", "children": []}')
    return COMPRESSED + content_type.encode() + b"\x00" + body


def csv_with_specials(size: int) -> str:
    """Text a task may well return: NaN/Infinity inside strings, many escapes."""
    line = 'id,value,note\n1,NaN,"say \\"Infinity\\"\ttab"\n2,-Infinity,caf\u00e9 \u2603\n'
    return line * (size // len(line))


CSV = csv_with_specials(8_600_000)
INTS = list(range(1_100_000))


# name -> (stored value, expected outcome): "value" or the class name of our exception.
CASES: dict[str, tuple[bytes | Callable[[redis.Redis, str], None], str]] = {
    "bzip2 bomb (256 MB from ~200 bytes)": (bomb("application/x-bz2", 256 * MB), "ResultTooLarge"),
    "zlib bomb (256 MB from ~260 KB)": (bomb("application/x-gzip", 256 * MB), "ResultTooLarge"),
    "zlib, truncated": (COMPRESSED + b"zlib\x00" + zlib.compress(meta(1))[:-6], "CorruptResult"),
    "bzip2, not bzip2": (COMPRESSED + b"bzip2\x00not bzip2 at all", "CorruptResult"),
    "compression marker without type": (COMPRESSED + b"zlib", "CorruptResult"),
    "unknown compression": (COMPRESSED + b"application/x-rar\x00abc", "CorruptResult"),
    "brotli (cannot be bounded here)": (COMPRESSED + b"brotli\x00abc", "CorruptResult"),
    "20 MB list (over the 16 MiB default)": (meta(list(range(2_600_000))), "ResultTooLarge"),
    "20 MB status string": (meta(None, status="S" * (20 * MB)), "ResultTooLarge"),
    "8 MB list of ints": (meta(INTS), "value"),
    "8.6 MB CSV with NaN, Infinity and escapes": (meta(CSV), "value"),
    "NaN, Infinity, -Infinity": (b'{"status": "SUCCESS", "result": [NaN, Infinity, -Infinity]}', "value"),
    "not JSON": (b"\x00garbage{", "CorruptResult"),
    "empty string": (b"", "CorruptResult"),
    "JSON list at the top": (b"[1, 2]", "CorruptResult"),
    "status is a number": (b'{"status": 5, "result": 1}', "CorruptResult"),
    "no status": (b'{"result": 1}', "CorruptResult"),
    # A custom state (any string is one): not ready, so get() times out, with the state escaped.
    "state with CR/LF and NUL": (meta(1, status="SUC\r\nCESS\x00" * 1000), "ResultTimeout"),
    "children not result tuples": (meta(1, children=["x", 5]), "CorruptResult"),
    "nested 100000 deep": (b'{"status": "SUCCESS", "result": ' + b"[" * 100000 + b"]" * 100000 + b"}",
                           "CorruptResult"),
    "invalid UTF-8": (b'{"status": "SUCCESS", "result": "\xff\xfe"}', "CorruptResult"),
    # Python's json writes lone surrogates (os.fsdecode() makes them) as escapes: U+FFFD in PHP.
    "lone surrogate escape": (b'{"status": "SUCCESS", "result": "\\udcff"}', "value"),
    "unparsable datetime marker": (meta({"__type__": "datetime", "__value__": "garbage"}), "CorruptResult"),
    "bytes marker that is not base64": (meta({"__type__": "bytes", "__value__": 5}), "CorruptResult"),
    "integer beyond 64 bits": (b'{"status": "SUCCESS", "result": 123456789012345678901234567890}', "value"),
    "FAILURE with a string result": (meta("boom", status="FAILURE"), "TaskFailed"),
    "FAILURE with an empty map": (meta({}, status="FAILURE"), "TaskFailed"),
    "FAILURE with exc_message a map": (meta({"exc_type": "E", "exc_message": {"a": 1}}, status="FAILURE"),
                                       "TaskFailed"),
    "REVOKED with a number": (meta(7, status="REVOKED"), "TaskRevoked"),
    "date_done garbage": (meta(1, date_done="yesterday"), "CorruptResult"),
    "result_extended with 2 MB of args": (meta(1, args=["x" * (2 * MB)], kwargs={}, name="t"), "value"),
    # Read with GET, which fails on another type; CorruptResult, because reading again won't help.
    "a list where the string should be": (lambda client, key: client.rpush(key, meta(1)), "CorruptResult"),
    "a hash where the string should be": (lambda client, key: client.hset(key, "status", "SUCCESS"),
                                          "CorruptResult"),
}


class ResultKeys(MadeKeys):
    """Stores values under fresh task keys in the result database and deletes them afterwards."""

    def new_id(self) -> str:
        task_id = str(uuid.uuid4())
        self.store(f"celery-task-meta-{task_id}")
        return task_id

    def store_result(self, value: bytes | Callable[[redis.Redis, str], None]) -> str:
        task_id = self.new_id()
        if callable(value):
            value(self.client, self.keys[-1])
        else:
            self.client.set(self.keys[-1], value)
        return task_id


@pytest.fixture
def result_keys(redis_server: RedisServer) -> Iterator[ResultKeys]:
    with ResultKeys.deleted(redis_server.client(BACKEND_DB)) as keys:
        yield keys


def test_every_hostile_result_ends_in_a_value_or_our_exception(run_php, result_keys: ResultKeys) -> None:
    ids = {name: result_keys.store_result(value) for name, (value, _) in CASES.items()}

    env = {"CB_IDS": json.dumps(ids)}
    result = run_php.file("hostile_results_read.php", env=env, php_args=MEMORY_LIMIT, timeout=120)

    out = result.json()
    assert result.stderr == ""
    assert len(out) == len(CASES) >= 30
    wrong = {name: out[name] for name, (_, expected) in CASES.items() if out[name]["outcome"] != expected}
    assert wrong == {}, json.dumps(wrong, indent=1)
    for name, outcome in out.items():
        # Messages are bounded and carry no raw control characters (log injection).
        assert len(outcome["shape"]) < 2000 and not any(c in outcome["shape"] for c in "\r\n\x00"), name
    ints, csv = out["8 MB list of ints"], out["8.6 MB CSV with NaN, Infinity and escapes"]
    assert ints["shape"] == f"array:{len(INTS)}"
    assert csv["shape"] == f"string:{len(CSV.encode())}"
    # Decoding costs a few times the payload, not 30x. A PHP array of ints takes 16 bytes per
    # element on top of the JSON text being read, so 5x is close to what PHP can do for ints.
    assert ints["peak"] < 5 * len(meta(INTS))
    assert csv["peak"] < 4 * len(meta(CSV))


def test_a_bomb_on_the_channel_is_ignored_and_the_key_read(run_php, result_keys: ResultKeys) -> None:
    """get() decodes what arrives on the channel with the same bound; past it, it reads the key."""
    task_id = result_keys.new_id()
    key = result_keys.keys[-1]

    # Once PHP listens, the bomb can only reach it through the channel.
    waiter = php_get_listening(result_keys.client, key, lambda: ThreadPoolExecutor(1).submit(
        run_php, f"echo json_encode((new CeleryClient($brokerUrl, $backendUrl))->result('{task_id}')"
                 "->get(timeout: 20.0));", php_args=MEMORY_LIMIT
    ))
    # The bomb arrives while nothing is stored yet; then the task's result, as Celery sends it.
    assert result_keys.client.publish(key, bomb("application/x-bz2", 256 * MB)) == 1
    result_keys.client.set(key, meta("stored value"))
    result_keys.client.publish(key, meta("stored value"))
    result = waiter.result(timeout=30)
    assert result.json() == "stored value"
    assert result.stderr == ""
