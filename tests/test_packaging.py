"""Issue 12: installing the package as a user would, from a checkout (a Composer path repository;
Packagist is not needed and not asked), and what composer.json declares."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from harness import REPO_ROOT

COMPOSER_ENV = {**os.environ, "COMPOSER_ALLOW_SUPERUSER": "1", "COMPOSER_NO_INTERACTION": "1"}


def composer(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["composer", *args], cwd=cwd, env=COMPOSER_ENV, capture_output=True, text=True, timeout=120
    )


def test_composer_require_from_a_checkout_as_the_readme_says(tmp_path: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    # Packagist is switched off: the package must come from the checkout alone.
    manifest = {"name": "acme/app", "repositories": {"packagist.org": False}}
    (project / "composer.json").write_text(json.dumps(manifest))
    added = composer("config", "repositories.celery-bridge", "path", str(REPO_ROOT), cwd=project)
    assert added.returncode == 0

    done = composer("require", "celery-bridge/celery-bridge:^0.1@dev", cwd=project)

    assert done.returncode == 0, done.stdout + done.stderr
    code = "require 'vendor/autoload.php'; echo class_exists('CeleryBridge\\CeleryClient') ? 'yes' : 'no';"
    loaded = subprocess.run(["php", "-r", code], cwd=project, capture_output=True, text=True, check=True)
    assert loaded.stdout == "yes"


def test_composer_json_declares_what_the_code_uses() -> None:
    manifest = json.loads((REPO_ROOT / "composer.json").read_text())
    source = "\n".join(path.read_text() for path in (REPO_ROOT / "php" / "src").rglob("*.php"))

    assert "mb_check_encoding(" in source and "ext-mbstring" in manifest["require"]
    assert "ctype_digit(" in source and "ext-ctype" in manifest["require"]
    assert manifest["extra"]["branch-alias"]["dev-main"] == "0.1.x-dev"
    assert "0.1.0" in (REPO_ROOT / "CHANGELOG.md").read_text()
    assert composer("validate", "--no-check-publish", "--strict", cwd=REPO_ROOT).returncode == 0
