"""The Celery application object; tasks register themselves on it from their modules."""

from celery import Celery

from python_worker.config import settings_from_env

app = Celery("python_worker")
app.conf.update(settings_from_env())
