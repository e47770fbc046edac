# The PHP side of `docker compose up php`: PHP 8.2 with phpredis, the library and its examples,
# and Composer's autoloader, all inside the image (nothing is written into your checkout).
FROM php:8.2-cli
# The official image has ext-mbstring, ext-ctype and ext-json; phpredis comes from PECL.
RUN pecl install redis-6.0.2 && docker-php-ext-enable redis
COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
WORKDIR /app
COPY composer.json ./
COPY php/src php/src
COPY examples examples
RUN composer dump-autoload --no-dev --no-interaction
CMD ["php", "examples/demo.php"]
