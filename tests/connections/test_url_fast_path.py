"""Topology::fromUrl() reads redis://[[user]:password@]host[:port][/db] with its own regular
expressions (not the general parser): generated URLs of that shape, with user info of every
printable ASCII character raw and percent-encoded, and their near misses, must give the server,
user name, password and database kombu's broker and Celery's result backend read from them.
Seeded, so the same URLs on every run.
"""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

from celery_urls import celery_view

from harness import REPO_ROOT
from php_runner import run_php_script

SCRIPT = REPO_ROOT / "tests" / "php" / "url_fast_path.php"
# Characters a URL leaves as they are in user info (the fast path's own), then the others.
SAFE = "abcXYZ019_.~!$&'()*+,=-"
PRINTABLE = [chr(c) for c in range(0x20, 0x7F)]
HOSTS = ["localhost", "h", "redis.example.com", "redis-1.internal", "127.0.0.1", "a.b-c.d"]
PORTS = [None, "1", "6379", "06380", "65535"]
DATABASES = [None, "", "0", "007", "15", "123456789"]


def _piece(rng: random.Random) -> str:
    kind = rng.randrange(10)
    if kind < 6:
        return rng.choice(SAFE)
    char = rng.choice(PRINTABLE)
    if kind < 8:
        return f"%{ord(char):02X}"
    if kind < 9:
        return f"%{ord(char):02x}"
    return f"%{rng.randrange(0x80, 0x100):02X}"


def _text(rng: random.Random, least: int) -> str:
    return "".join(_piece(rng) for _ in range(rng.randrange(least, 7)))


def _urls() -> list[str]:
    rng = random.Random(20261205)
    urls = []
    for char in PRINTABLE:
        if char not in "#/?@[]\\;% ":
            urls.append(f"redis://u{char}:p{char}w@h:6380/1")
        urls.append(f"redis://u%{ord(char):02X}:p%{ord(char):02x}w@h/2")
    for _ in range(600):
        userinfo = "" if rng.randrange(4) == 0 else f"{_text(rng, 0)}:{_text(rng, 1)}@"
        port = rng.choice(PORTS)
        database = rng.choice(DATABASES)
        urls.append(
            f"redis://{userinfo}{rng.choice(HOSTS)}"
            + ("" if port is None else f":{port}")
            + ("" if database is None else f"/{database}")
        )
    return urls


def _text_of(value: str | None) -> str | None:
    # urllib's unquote decodes the bytes as UTF-8 and puts U+FFFD for what is not; PHP (fast path
    # and Dsn alike) keeps the bytes. Compared as urllib reads them: that difference is known
    # (a password Celery itself could not send) and left as it is.
    return None if value is None else base64.b64decode(value).decode("utf-8", "replace")


def _celery(url: str, role: str) -> dict[str, Any]:
    """What kombu's broker channel or Celery's result backend connects to for the URL."""
    node = celery_view({"url": url, "role": role})[0]
    return {key: node[key] for key in ("host", "port", "username", "password", "db")}


def _php(entry: dict[str, Any]) -> dict[str, Any]:
    assert "error" not in entry, entry
    assert entry["count"] == 1 and entry["transport"] == "tcp"
    return {
        "host": entry["host"],
        "port": entry["port"],
        "username": _text_of(entry["username"]),
        "password": _text_of(entry["password"]),
        "db": entry["db"],
    }


def test_the_fast_path_reads_what_kombu_and_celery_read(tmp_path: Path) -> None:
    urls = _urls()
    listing = tmp_path / "urls.json"
    listing.write_text(json.dumps(urls))
    autoload = REPO_ROOT / "vendor" / "autoload.php"
    result = run_php_script(SCRIPT, {}, timeout=120, args=[str(autoload), str(listing)])
    assert result.returncode == 0, result.describe()
    read = result.json()
    assert len(read) == len(urls)
    for url, entry in zip(urls, read, strict=True):
        assert _php(entry["broker"]) == _celery(url, "broker"), url
        assert _php(entry["backend"]) == _celery(url, "backend"), url
