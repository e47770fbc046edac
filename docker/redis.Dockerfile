# The Redis of docker-compose.yml: Debian 12's redis-server, the release `make test` runs.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server redis-tools \
    && rm -rf /var/lib/apt/lists/*
# The package's own unprivileged user; no persistence (a throwaway server, as in the tests).
USER redis
WORKDIR /var/lib/redis
EXPOSE 6379
# Reachable from the other containers on compose's network only (no port is published);
# protected mode would refuse them, as they connect without a password.
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
