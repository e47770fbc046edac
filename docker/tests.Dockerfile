# The test profile of docker-compose.yml: the pytest harness and PHPUnit, run against compose's
# own Redis and worker (tests/external.py). The same Debian 12 packages and Python pins as
# `make install`.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends php-cli php-redis php-mbstring php-xml php-bz2 php-msgpack \
        php-predis php-psr-log phpunit composer python3 python3-venv redis-server redis-tools \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --no-create-home --uid 10001 --home-dir /app --shell /usr/sbin/nologin tests
WORKDIR /app
COPY pyproject.toml constraints.txt ./
# pyproject.toml's dependencies and extras (as `make install` reads them), constraints.txt's pins.
RUN python3 -m venv /opt/venv \
    && python3 -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + sum(p["optional-dependencies"].values(), [])))' \
        > requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt -c constraints.txt \
    && /opt/venv/bin/pip check
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1
COPY . .
RUN COMPOSER_ALLOW_SUPERUSER=1 composer dump-autoload --dev --no-interaction
USER tests
CMD ["docker/run-tests.sh"]
