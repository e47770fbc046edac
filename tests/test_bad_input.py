"""Nothing malformed reaches Redis: every bad input of BadInputCases, in one php process.

php/tests/Integration/Broker/BadInputCases.php lists the inputs (invalid UTF-8, NAN/INF,
resources, closures, recursion, bad args/kwargs shapes, unknown or out-of-range options, bad
dates, unusable queue names, reserved headers, unknown settings, ...) and the text each
exception message must contain. PHPUnit runs them one by one (BadInputTest); this runs them all
against the harness Redis, checking after each one that the database is still empty.
"""

from __future__ import annotations

import databases
from harness import RedisServer

DB = databases.BAD_INPUT

def test_every_bad_input_throws_our_exception_and_writes_nothing(run_php, redis_server: RedisServer) -> None:
    writes_before = redis_server.publish_write_calls()
    outcomes = run_php.file("bad_input_all.php", env={"CELERY_BROKER_URL": redis_server.url(DB)}).json()

    assert len(outcomes) >= 50
    problems = []
    for name, outcome in outcomes.items():
        if not outcome["ours"]:
            problems.append(f"{name}: threw {outcome['thrown']} ({outcome['message']})")
            continue
        missing = [fragment for fragment in outcome["fragments"] if fragment not in outcome["message"]]
        if missing:
            problems.append(f"{name}: message {outcome['message']!r} lacks {missing}")
        if outcome["keys"]:
            problems.append(f"{name}: left keys {outcome['keys']}")
    assert problems == []
    assert redis_server.client(DB).dbsize() == 0
    # Not one message, counter or result reached any database (FLUSHDB and SELECT are the script's).
    assert redis_server.publish_write_calls() == writes_before
