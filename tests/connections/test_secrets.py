"""Secrets never leak: the password of a broker or backend URL appears in no message, trace,
dump or serialization of anything a user can get hold of, whatever zend.exception_ignore_args
says, with either Redis client."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from harness import REPO_ROOT
from php_runner import run_php_script
from servers import MultiRedis

SCRIPT = REPO_ROOT / "tests" / "php" / "secret_leaks.php"


@pytest.mark.parametrize("ignore_args", ["0", "1"])
def test_the_password_appears_nowhere(multi_redis: MultiRedis, redis_client: str, ignore_args: str) -> None:
    """A working client, results, wrong passwords, malformed URLs and misspelled secret
    settings, each rendered every way PHP can render it: the password is in none of it."""
    secret = MultiRedis.PASSWORD
    port = multi_redis.server.port
    good = f"redis://:{quote(secret, safe='')}@127.0.0.1:{port}/0"
    wrong = f"redis://:{quote('x' + secret, safe='')}@127.0.0.1:{port}/0"
    result = run_php_script(
        SCRIPT,
        {},
        timeout=60,
        php_args=["-d", f"zend.exception_ignore_args={ignore_args}"],
        args=[str(REPO_ROOT / "vendor" / "autoload.php"), redis_client, good, wrong, secret],
    )
    out = result.stdout
    assert "== done" in out, result.stderr[-2000:]
    # Every case ran and rendered something (a broken script would pass vacuously).
    assert out.count("== ") >= 20
    assert "AuthenticationFailed" in out and "InvalidBrokerUrl" in out and "InvalidConfiguration" in out
    for form in {secret, quote(secret, safe=""), quote(secret)}:
        leaks = [line for line in out.splitlines() if form in line]
        assert leaks == [], f"password shown ({form!r}):\n" + "\n".join(leaks[:5])
