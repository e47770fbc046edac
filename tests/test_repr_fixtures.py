"""The saferepr fixtures PHPUnit uses must be what the pinned Celery really produces."""

import json

from harness import REPO_ROOT, generator_output

FIXTURE = REPO_ROOT / "php/tests/Unit/Message/fixtures/saferepr.json"


def test_fixture_matches_pinned_celery_saferepr() -> None:
    """Regenerating the fixture with the installed Celery gives the committed file."""
    fresh = generator_output("generate_repr_fixtures.py")
    assert json.loads(fresh) == json.loads(FIXTURE.read_text(encoding="utf-8"))
