"""Writes the saferepr fixtures PHPUnit checks PythonRepr against.

Each case is a JSON value (what a worker decodes); the expected text is what Celery 5.7's own
saferepr makes of it with the limits it uses for argsrepr/kwargsrepr (1024 chars, 3 levels).
Run: .venv/bin/python tests/tools/generate_repr_fixtures.py > php/tests/Unit/Message/fixtures/saferepr.json
"""

import json
import sys

from celery.utils.saferepr import saferepr

CASES: list[object] = [
    [2, 3],
    ["a'b\nc", "tab\there", 'dq"'],
    [1.0, 0.1, 1e16, 1e15, 1e-5, 0.0001, -0.0, 123456789.123, 1.5e300, 2.5e-310, 1 / 3],
    [True, False, None, 0, -7, 2**63 - 1],
    [{"a": [1, [2, [3, [4]]]]}],
    [[[[[1]]]]],
    [{"nested": {"deep": {"deeper": {"deepest": 1}}}}],
    ["x" * 2000],
    ["word " * 400],
    [list(range(500))],
    [{f"k{i}": "v" * 30 for i in range(60)}],
    ["é漢字😀"],
    [[1, 2], {"a": None}, []],
    [["a b c " * 100, ["x " * 300]]],
    [[[i, [i, i]] for i in range(200)]],
    ["'" * 1100],
    [{"": 1, "it's": 2}],
    ["x" * 1021, "after"],
    ["y" * 1023],
    [{}],
]


def main() -> None:
    out = []
    for case in CASES:
        data = json.loads(json.dumps(case))
        out.append(
            {
                "json": json.dumps(case),
                "args": saferepr(data, 1024, maxlevels=3),
                "kwargs": saferepr({"k": data, "z": 1}, 1024, maxlevels=3),
            }
        )
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
