"""Project configuration: settings by topic, URLs, the WSGI app and the Celery app.

The Celery app is imported here so that `shared_task`s bind to it in every
process that loads the settings (web, worker, beat, manage.py).
"""

from config.celery import app as celery_app

__all__ = ["celery_app"]
