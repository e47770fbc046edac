# CeleryBridge: the README's commands. `make test` is what CI runs (.ci/run).
#
#   make install      system packages (apt, only what is missing), .venv, composer autoload
#   make lint         php -l, phpcs (PSR-12), ruff
#   make unit         PHPUnit unit suite (no server)
#   make integration  PHPUnit integration suite against a throwaway redis-server
#   make pytest       pytest: real redis-server + Celery worker + PHP
#   make compat       the interop tests again, against a Celery 5.2.7 worker (prefork)
#   make test         all of the above, in that order, stopping at the first failure
#   make matrix       the interop tests against Celery 4.4-5.7 and Redis 5.0-7.0 (not in `make test`)
#   make cluster-test failover over a 3-node RabbitMQ cluster, quorum queue, a node killed (not in `make test`)
#   make demo         PHP sends tasks to a real worker (own redis-server, own worker)
#   make bench        benchmarks (never part of `make test`)
#   make pins         after changing a pin in pyproject.toml: install it, rewrite constraints.txt

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test
# The steps of `make test` must run in order even under `make -j`.
.NOTPARALLEL:

VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
WITH_REDIS := tests/run_with_redis.sh
export COMPOSER_ALLOW_SUPERUSER := 1
export COMPOSER_NO_INTERACTION := 1
PINS_PY := import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; o = p["optional-dependencies"]; print("\n".join(p["dependencies"] + o["sentry"] + o["tracing"] + o["test"]))

.PHONY: install system-packages autoload lint unit integration pytest compat test matrix cluster-test demo bench pins

install: system-packages $(STAMP) autoload

# Debian packages, installed only when something is missing (a second run does nothing).
system-packages:
	@missing=(); \
	have() { command -v "$$1" >/dev/null 2>&1; }; \
	mods="$$(php -m 2>/dev/null || true)"; \
	ext() { grep -qix "$$1" <<<"$$mods"; }; \
	have php || missing+=(php-cli); \
	have phpunit || missing+=(phpunit); \
	have phpcs || missing+=(php-codesniffer); \
	have composer || missing+=(composer); \
	have redis-server || missing+=(redis-server); \
	have redis-sentinel || missing+=(redis-sentinel); \
	have redis-cli || missing+=(redis-tools); \
	[ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server); \
	[ -f /usr/share/php/PhpAmqpLib/Connection/AMQPStreamConnection.php ] || missing+=(php-amqplib); \
	ext amqp || missing+=(php-amqp); \
	have openssl || missing+=(openssl); \
	have python3 || missing+=(python3); \
	python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv); \
	ext redis || missing+=(php-redis); \
	ext mbstring || missing+=(php-mbstring); \
	ext xml || missing+=(php-xml); \
	ext bz2 || missing+=(php-bz2); \
	ext msgpack || missing+=(php-msgpack); \
	[ -f /usr/share/php/Predis/Autoloader.php ] || missing+=(php-predis); \
	[ -f /usr/share/php/Psr/Log/autoload.php ] || missing+=(php-psr-log); \
	[ -f /usr/share/php/Illuminate/Foundation/Application.php ] || missing+=(php-laravel-framework); \
	[ -f /usr/share/php/Symfony/Bundle/FrameworkBundle/FrameworkBundle.php ] || missing+=(php-symfony-framework-bundle); \
	[ -f /usr/share/php/Symfony/Component/Yaml/Yaml.php ] || missing+=(php-symfony-yaml); \
	if [ $${#missing[@]} -gt 0 ]; then \
		echo "install: apt-get install $${missing[*]}"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$${missing[@]}"; \
	fi

# The Python pins live only in pyproject.toml; this reads them from there. What they depend on is
# pinned by constraints.txt (tests/tools/generate_pins.py), as in docker/worker.Dockerfile.
$(STAMP): pyproject.toml constraints.txt
	@[ -x $(PYTHON) ] || python3 -m venv $(VENV)
	@$(PYTHON) -c '$(PINS_PY)' > $(VENV)/requirements.txt
	@echo "install: pip install -r $(VENV)/requirements.txt -c constraints.txt"
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt -c constraints.txt
	@touch $@

# --dev: without a composer.lock, Composer 2.5 would otherwise leave out the
# CeleryBridge\Tests\ mapping the PHPUnit suites need. Cheap, so it always runs.
autoload:
	@composer dump-autoload --dev --quiet

lint: install
	@echo "lint: php -l"
	@find php examples bench tests/php tests/laravel_app tests/symfony_app -name '*.php' -print0 | xargs -0 -r -n1 -P2 php -l >/dev/null
	@echo "lint: phpcs (phpcs.xml.dist: PSR-12)"
	@phpcs
	@echo "lint: ruff"
	@$(VENV)/bin/ruff check python_worker tests bench

unit: install
	phpunit --testsuite unit

integration: install
	$(WITH_REDIS) env CELERY_BRIDGE_REQUIRE_INTEGRATION=1 phpunit --testsuite integration

pytest: install
	$(VENV)/bin/pytest -q

# One old worker on every change: Celery 5.2.7 with kombu 5.2 and redis-py 4 (tests/matrix.py).
compat: install
	$(PYTHON) tests/matrix.py --only 5.2.7 --redis 7.0

test: install lint unit integration pytest compat

# Every Celery release from 4.4 and Redis from 5.0; venvs and servers are cached in .matrix/.
matrix: install
	$(PYTHON) tests/matrix.py

# 3 RabbitMQ nodes, a Celery worker and 4 PHP publishers; one node killed mid-run (tests/cluster_failover.py).
cluster-test: install
	$(PYTHON) tests/cluster_failover.py

demo: install
	examples/demo.sh

bench: install
	bench/run.sh

# Without the old constraints (they would refuse the new pin): pip installs what the new pins
# need, and constraints.txt is written again from what is installed.
pins: system-packages
	@[ -x $(PYTHON) ] || python3 -m venv $(VENV)
	@$(PYTHON) -c '$(PINS_PY)' > $(VENV)/requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	$(PYTHON) tests/tools/generate_pins.py > constraints.txt
	@touch $(STAMP)
