"""`celery -A optout` (the Procfile, operators' units): the app lives in config.celery."""

from config.celery import app

__all__ = ["app"]
