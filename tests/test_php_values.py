"""Issue 24: docs/php-values.md's table ("PHP values in Python") checked on a real worker.

Every row's PHP expression is sent as the only argument of tasks.reprs, which returns Python's
repr() of what it received; the row's right-hand column must be exactly that, or the client
must refuse the value with the exception it names (before anything is written).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness import CeleryWorker

DOC = Path(__file__).resolve().parent.parent / "docs" / "php-values.md"

# A table row: | `php` | `repr` or refused: `Exception` | why |
ROW = re.compile(r"^\| `(?P<php>.+?)` \| (?P<refused>refused: )?`(?P<expected>.+?)` \|")


def rows() -> list[tuple[str, str | None, str | None]]:
    """(PHP expression, expected repr or None, expected exception or None) per table row."""
    found = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            expected, refused = match["expected"], match["refused"] is not None
            found.append((match["php"], None if refused else expected, expected if refused else None))
    return found


def php_types() -> str:
    """The class and enums the table's rows use, from the doc's own PHP block."""
    text = DOC.read_text(encoding="utf-8")
    return text.split("```php\n", 1)[1].split("```", 1)[0]


def test_the_table_says_what_a_worker_receives(worker: CeleryWorker, run_php) -> None:
    table = rows()
    assert len(table) >= 20
    calls = "\n".join(
        f"""try {{
    $out[] = ['repr' => $celery->sendTask('tasks.reprs', [{php}])->get(timeout: 10.0)['args'][0]];
}} catch (CeleryBridge\\Exception\\CeleryBridgeException $e) {{
    $out[] = ['refused' => (new ReflectionClass($e))->getShortName()];
}}"""
        for php, _, _ in table
    )
    client = "$celery = new CeleryClient($brokerUrl, $backendUrl);\n$out = [];"
    code = f"{php_types()}\n{client}\n{calls}\necho json_encode($out);"

    out = run_php(code).json()

    for (php, expected, refused), got in zip(table, out, strict=True):
        want = {"repr": expected} if refused is None else {"refused": refused}
        assert got == want, php


def test_kwargs_follow_the_same_table_and_an_empty_one_is_a_dict(worker: CeleryWorker, run_php) -> None:
    out = run_php(
        "$c = new CeleryClient($brokerUrl, $backendUrl);"
        " $send = fn (array $kwargs) => $c->sendTask('tasks.reprs', kwargs: $kwargs)->get(timeout: 10.0);"
        " echo json_encode([$send(['when' => (object) [], 'n' => 1.0]), $send([])]);"
    ).json()

    assert out[0]["kwargs"] == {"when": "{}", "n": "1.0"}
    assert json.dumps(out[1]) == '{"args": [], "kwargs": []}'  # {} and [] both decode to a PHP []
