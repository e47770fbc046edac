"""CeleryBridge inside a real Laravel application (Debian's php-laravel-framework 8.83): the
skeleton in tests/laravel_app, with the provider discovered from composer.json's extra.laravel
through Laravel's PackageManifest, sends through the Celery facade to the session worker and
reads the results; artisan runs the celery:* commands; the application's own PHPUnit test uses
Celery::fake()."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from framework_app import FrameworkApp
from harness import REPO_ROOT, CeleryWorker, RedisServer

SKELETON = Path(__file__).parent / "laravel_app"

if not Path("/usr/share/php/Illuminate/Foundation/Application.php").is_file():
    pytest.fail("php-laravel-framework is not installed: run `make install`.", pytrace=False)


class LaravelApp(FrameworkApp):
    """The Laravel skeleton's copy; artisan runs its commands."""

    CONSOLE = "artisan"

    def artisan(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.console(*args)


@pytest.fixture
def laravel(tmp_path: Path, php_autoload: Path, redis_server: RedisServer) -> LaravelApp:
    """The skeleton copied to tmp_path, with the vendor/composer/installed.json Composer would
    write for this package (Laravel's package discovery reads its extra.laravel)."""
    app = LaravelApp.copied(SKELETON, tmp_path, php_autoload, redis_server, CELERY_LOG_CHANNEL="celery")
    for directory in ("storage/logs", "storage/framework/cache", "bootstrap/cache", "vendor/composer"):
        (app.root / directory).mkdir(parents=True, exist_ok=True)
    manifest = json.loads((REPO_ROOT / "composer.json").read_text())
    package = {"name": manifest["name"], "version": "dev-main", "extra": manifest["extra"]}
    (app.root / "vendor/composer/installed.json").write_text(json.dumps({"packages": [package]}))
    return app


def test_a_request_sends_through_the_facade_and_reads_the_result(
    worker: CeleryWorker, laravel: LaravelApp
) -> None:
    # Laravel's log, on the configured channel, is the client's PSR-3 logger.
    log = laravel.add("storage/logs/celery.log")

    # PSR-3 placeholders stay as they are in Laravel 8 (10.x+ channels have replace_placeholders).
    assert "CeleryBridge: task {task} published" in log
    # Discovered from composer.json, not listed in config/app.php.
    discovered = (laravel.root / "bootstrap/cache/packages.php").read_text()
    assert "CeleryBridge\\\\Laravel\\\\CeleryServiceProvider" in discovered
    assert "CeleryServiceProvider" not in (laravel.root / "config/app.php").read_text()


def test_a_remote_failure_reaches_the_controller(worker: CeleryWorker, laravel: LaravelApp) -> None:
    answer = laravel.request("/fail")

    assert answer == {"failed": True, "type": "ValueError", "message": "from laravel"}


def test_a_request_that_sends_nothing_opens_no_connection(laravel: LaravelApp) -> None:
    # Nothing listens on port 1: resolving the client must not connect, or this would fail.
    answer = laravel.request("/nothing", env={"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"})

    assert answer == {"client": "CeleryBridge\\CeleryClient"}


def test_artisan_runs_the_cli_with_the_applications_settings(
    worker: CeleryWorker, laravel: LaravelApp
) -> None:
    task_id = laravel.send_with_the_console()

    shown = laravel.artisan("celery:result", task_id)
    assert shown.returncode == 0 and "result: 9" in shown.stdout

    # config/celery.php's settings reach the CLI: task_default_queue is the queue it looks at.
    queues = laravel.php("artisan", "celery:queues", "--json", env={"CELERY_DEFAULT_QUEUE": "from-config"})
    assert queues.returncode == 0 and json.loads(queues.stdout) == {"from-config": 0}

    pinged = laravel.artisan("celery:workers", "ping", "--timeout=5", "--json")
    assert pinged.returncode == 0, pinged.stdout + pinged.stderr
    assert {"ok": "pong"} in json.loads(pinged.stdout).values()

    revoked = laravel.artisan("celery:revoke", task_id, "--json")
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked"] == [task_id]

    refused = laravel.artisan("celery:send", "tasks.add", "--priority=12")
    assert refused.returncode == 2 and '"priority" has the value 12' in refused.stderr + refused.stdout


def test_a_publish_hook_from_the_config_adds_its_header(worker: CeleryWorker, laravel: LaravelApp) -> None:
    laravel.echo_is_hooked()


def test_the_config_file_publishes(laravel: LaravelApp) -> None:
    (laravel.root / "config/celery.php").unlink()
    done = laravel.artisan("vendor:publish", "--tag=celery-config")

    assert done.returncode == 0, done.stdout + done.stderr
    published = (laravel.root / "config/celery.php").read_text()
    assert published == (REPO_ROOT / "php/src/Laravel/config/celery.php").read_text()


def test_celery_fake_in_the_applications_own_phpunit_test(laravel: LaravelApp) -> None:
    done = laravel.php("/usr/bin/phpunit", "--bootstrap", "tests/bootstrap.php", "tests")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK (2 tests" in done.stdout
