"""Control messages as a client publishes them: PHP scripts that make a client and call it, and
the one message they publish on a mailbox channel, captured (test_revoke.py, test_control_wire.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import redis

from php_runner import php_script, run_php_script


def php_literal(value: Any) -> str:
    """A PHP literal for JSON-like data (dicts become arrays with string keys)."""
    if isinstance(value, dict):
        return "[" + ", ".join(f"{php_literal(k)} => {php_literal(v)}" for k, v in value.items()) + "]"
    if isinstance(value, list):
        return "[" + ", ".join(php_literal(item) for item in value) + "]"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(value)


def php_client(broker_url: str, backend_url: str | None = None, config: dict[str, Any] | None = None) -> str:
    backend = f"'{backend_url}'" if backend_url else "null"
    return f"$celery = new CeleryClient('{broker_url}', {backend}, {php_literal(config or {})});\n"


def run(tmp_path: Path, name: str, code: str) -> Any:
    script = tmp_path / f"{name}.php"
    script.write_text(php_script(code))
    result = run_php_script(script, {}, timeout=30)
    assert result.returncode == 0 and result.stderr == "", result.describe()
    return result.json()


def capture(client: redis.Redis, send: Any) -> tuple[str, dict[str, Any]]:
    """Call send() while subscribed to every channel; return the one message published."""
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("*")
    try:
        while pubsub.get_message(timeout=1.0) is None and not pubsub.subscribed:
            pass
        send()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=1.0)
            if message is not None and message["type"] == "pmessage":
                return message["channel"].decode(), json.loads(message["data"])
        raise AssertionError("nothing was published")
    finally:
        pubsub.close()
