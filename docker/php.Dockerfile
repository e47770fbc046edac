# The PHP side of docker-compose.yml: Debian 12's PHP 8.2 with Debian's phpredis (the one every
# test runs), the library, its CLI (bin/celery-bridge) and examples, and Composer's autoloader,
# all inside the image (nothing is written into your checkout).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends php-cli php-redis php-mbstring php-bz2 php-msgpack composer \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --no-create-home --uid 10001 --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY composer.json ./
COPY php/src php/src
COPY bin bin
COPY examples examples
RUN COMPOSER_ALLOW_SUPERUSER=1 composer dump-autoload --no-dev --no-interaction
ENV PATH=/app/bin:$PATH
USER app
CMD ["php", "examples/demo.php"]
