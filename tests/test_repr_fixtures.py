"""The saferepr fixtures PHPUnit uses must be what the pinned Celery really produces."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "php/tests/Unit/Message/fixtures/saferepr.json"


def test_fixture_matches_pinned_celery_saferepr() -> None:
    """Regenerating the fixture with the installed Celery gives the committed file."""
    fresh = subprocess.run(
        [sys.executable, str(ROOT / "tests/tools/generate_repr_fixtures.py")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert json.loads(fresh) == json.loads(FIXTURE.read_text(encoding="utf-8"))
