"""A generated password with any special character, written into every URL form unencoded (as
people paste them) and encoded: the password shows in no message, trace (with
zend.exception_ignore_args=0) or CLI output, whole or in part."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from harness import REPO_ROOT
from php_runner import run_php_script

SCRIPT = REPO_ROOT / "tests" / "php" / "url_password_table.php"
CLI = REPO_ROOT / "bin" / "celery-bridge"
SPECIALS = "/?#;@:%[]&=+ !$'()*,\"\\<>{}|^`~"
# Two shapes: letters around the character, and digits (a digit run reads as a port or db).
HEADS = ("Xq7Zk", "7381946")
TAILS = ("Wm4Vp", "5829163")


# Passwords that also break the quoting of messages: a quote next to a separator, and query
# text whose value a message would show escaped.
NASTY = [
    ('6380/Xq7Zk"Wm4Vp', ("Xq7Zk", "Wm4Vp")),
    ('6380?db="Xq7Zk"Wm4Vp', ("Xq7Zk", "Wm4Vp")),
    ("6380?ssl_cert_reqs=Xq7Zk\x01Wm4Vp", ("Xq7Zk", "Wm4Vp")),
    ("6380?connect_timeout=Xq7Zk;Wm4Vp", ("Xq7Zk", "Wm4Vp")),
]


def _passwords() -> list[tuple[str, tuple[str, ...]]]:
    pairs = list(zip(HEADS, TAILS, strict=True))
    return [(head + char + tail, (head, tail)) for char in SPECIALS for head, tail in pairs] + NASTY


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _forms(password: str, port: int) -> list[str]:
    hp = f"127.0.0.1:{port}"
    return [
        f"redis://:{password}@{hp}/0",
        f"redis://user:{password}@{hp}/0",
        f"rediss://:{password}@{hp}/0?ssl_cert_reqs=none",
        f"sentinel://:{password}@{hp}/0;sentinel://:{password}@127.0.0.1:1/0",
        f"redis+socket://:{password}@/tmp/none.sock?virtual_host=0",
        f"unix://user:{password}@/tmp/none.sock?db=0",
        f"redis://:{password}@127.0.0.1:1/0;redis://:{password}@{hp}/0",
        f"redis://:{password}@{hp}/notadb",
        f"redis://:{password}@{hp}/0?socket_timeout=x",
    ]


def _leaks(output: str, pieces: tuple[str, ...]) -> list[str]:
    return [line for line in output.splitlines() if any(piece in line for piece in pieces)]


@pytest.mark.parametrize("ignore_args", ["0", "1"])
def test_no_url_form_shows_the_password(tmp_path: Path, ignore_args: str) -> None:
    """Every password x every URL form (raw and percent-encoded), each built into a client and
    passed to the CLI: neither part of the password around the special character is shown."""
    port = _closed_port()
    urls: list[str] = []
    for password, _ in _passwords():
        for encoded in (password, quote(password, safe="")):
            urls.extend(_forms(encoded, port))
    listing = tmp_path / "urls.json"
    listing.write_text(json.dumps(urls))
    result = run_php_script(
        SCRIPT,
        {},
        timeout=300,
        php_args=["-d", f"zend.exception_ignore_args={ignore_args}"],
        args=[str(REPO_ROOT / "vendor" / "autoload.php"), str(listing)],
    )
    out = result.stdout
    assert "== done" in out, result.stderr[-3000:]
    assert out.count("== url ") == len(urls)
    assert "InvalidBrokerUrl" in out and "cli exit 2" in out and "cli exit 3" in out
    leaks = _leaks(out + result.stderr, HEADS + TAILS + ("Xq7Zk",))
    assert leaks == [], "password shown:\n" + "\n".join(leaks[:10])


def test_the_cli_binary_shows_no_password() -> None:
    """bin/celery-bridge itself, with the URL from --broker and from CELERY_BROKER_URL."""
    port = _closed_port()
    for password, pieces in _passwords()[::3]:
        for url in _forms(password, port)[:4]:
            for argv, env in ((["--broker", url], {}), ([], {"CELERY_BROKER_URL": url})):
                run = subprocess.run(
                    ["php", "-d", "zend.exception_ignore_args=0", str(CLI), *argv, "--json", "queues"],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    env={"PATH": "/usr/bin:/bin", **env},
                )
                assert run.returncode in (2, 3), run.stderr
                leaks = _leaks(run.stdout + run.stderr, pieces)
                assert leaks == [], f"{url!r}: " + "\n".join(leaks)
