# The Celery worker of docker-compose.yml: the python_worker app on Debian 12's Python 3.11, with
# pyproject.toml's pins and constraints.txt's pins of everything they depend on.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv findutils \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --no-create-home --uid 10001 --home-dir /app --shell /usr/sbin/nologin celery
WORKDIR /app
COPY pyproject.toml constraints.txt ./
# Only the worker's own dependencies (not the harness's): read from pyproject.toml, so they
# cannot drift; every package pip picks for them is pinned by constraints.txt. pip check fails
# the build when the set is incomplete.
RUN python3 -m venv /opt/venv \
    && python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt -c constraints.txt \
    && /opt/venv/bin/pip check
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1
COPY python_worker python_worker
USER celery
# Run as the harness's session worker is: one task at a time (solo pool; some tests count on
# that order), and without gossip, mingle and event heartbeats (the tests watch what is published
# on the broker, and a worker-heartbeat event every 2 s would be among it). A task that runs
# longer than ~15 s holds up the solo pool's event loop, and so the healthcheck's heartbeat file.
CMD ["celery", "-A", "python_worker", "worker", "--loglevel", "INFO", "--hostname", "docker@%h", \
     "--pool", "solo", "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat"]
