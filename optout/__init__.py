"""optout: get your photos out of face-recognition training sets."""

from optout.celery import app as celery_app

__all__ = ["celery_app"]
