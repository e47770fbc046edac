"""CeleryBridge inside a real Symfony application (Debian's Symfony 5.4 components): the
MicroKernelTrait kernel in tests/symfony_app registers CeleryBridgeBundle, a controller gets the
client by autowiring and sends to the session worker, bin/console runs the celery:* commands,
`debug:config celery_bridge` and `lint:container` pass, `when@test` swaps in the fake, and a bad
setting fails the container build with the client's own message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framework_app import FrameworkApp
from harness import CeleryWorker, RedisServer

SKELETON = Path(__file__).parent / "symfony_app"

if not Path("/usr/share/php/Symfony/Bundle/FrameworkBundle/FrameworkBundle.php").is_file():
    pytest.fail("php-symfony-framework-bundle is not installed: run `make install`.", pytrace=False)


class SymfonyApp(FrameworkApp):
    """The Symfony skeleton's copy; bin/console runs its commands."""

    # Without MonologBundle, Symfony's default logger writes its records to stderr.
    QUIET = False
    CONSOLE = "bin/console"


@pytest.fixture
def symfony(tmp_path: Path, php_autoload: Path, redis_server: RedisServer) -> SymfonyApp:
    """The skeleton copied to tmp_path (its var/ cache is written there)."""
    return SymfonyApp.copied(SKELETON, tmp_path, php_autoload, redis_server, APP_ENV="dev")


def test_an_autowired_controller_sends_and_reads_the_result(
    worker: CeleryWorker, symfony: SymfonyApp
) -> None:
    # celery_bridge.logger names the PSR-3 service the client logs to.
    symfony.add("var/log/celery.log")


def test_a_publish_hook_service_from_the_config_adds_its_header(
    worker: CeleryWorker, symfony: SymfonyApp
) -> None:
    symfony.echo_is_hooked()


def test_bin_console_runs_the_cli_with_the_bundles_settings(
    worker: CeleryWorker, symfony: SymfonyApp
) -> None:
    task_id = symfony.send_with_the_console()

    shown = symfony.console("celery:result", task_id, "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["result"] == 9
    # --wait without a value waits the CLI's default 30 s (without --wait only the id is printed).
    waited = symfony.console("celery:send", "tasks.add", "--args=[5, 6]", "--wait")
    assert waited.returncode == 0 and "result: 11" in waited.stdout, waited.stdout + waited.stderr
    queues = symfony.console("celery:queues", "--json")
    assert queues.returncode == 0 and json.loads(queues.stdout) == {"celery": 0}


def test_debug_config_shows_the_defaults_and_the_container_lints(symfony: SymfonyApp) -> None:
    shown = symfony.console("debug:config", "celery_bridge")
    linted = symfony.console("lint:container")

    assert shown.returncode == 0, shown.stdout + shown.stderr
    for line in (
        "broker_url: '%env(CELERY_BROKER_URL)%'",
        "logger: CeleryBridge\\SymfonyApp\\FileLogger",
        "fake: false",
    ):
        assert line in shown.stdout
    reference = symfony.console("config:dump-reference", "celery_bridge")
    assert reference.returncode == 0 and "logger:               logger" in reference.stdout
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "linted successfully" in linted.stdout


def test_the_fake_replaces_the_client_in_the_test_environment(symfony: SymfonyApp) -> None:
    # Nothing listens on port 1: neither environment may connect to build the client.
    nowhere = {"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}

    assert symfony.request("/nothing", env={**nowhere, "APP_ENV": "test"}) == {
        "client": "CeleryBridge\\Testing\\CeleryFake"
    }
    assert symfony.request("/nothing", env=nowhere) == {"client": "CeleryBridge\\CeleryClient"}


def test_a_bad_setting_fails_the_container_with_the_clients_message(symfony: SymfonyApp) -> None:
    config = symfony.root / "config/packages/celery_bridge.yaml"
    config.write_text(config.read_text().replace("task_default_queue: celery", "task_default_priority: 10"))

    done = symfony.console("lint:container")

    assert done.returncode != 0
    assert 'Setting "task_default_priority" has the value 10; expected an integer from 0 to 9' in " ".join(
        (done.stdout + done.stderr).split()
    )


def test_the_fake_in_the_applications_own_kernel_test(symfony: SymfonyApp) -> None:
    done = symfony.php("/usr/bin/phpunit", "--bootstrap", "tests/bootstrap.php", "tests")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK (1 test" in done.stdout
