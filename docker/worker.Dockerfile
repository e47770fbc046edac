# The Celery worker of `docker compose up`: the python_worker app with the pins of pyproject.toml
# (read from there, so they cannot drift).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > requirements.txt \
    && pip install --no-cache-dir --disable-pip-version-check -r requirements.txt
COPY python_worker python_worker
CMD ["celery", "-A", "python_worker", "worker", "--loglevel", "INFO", "--hostname", "docker@%h"]
