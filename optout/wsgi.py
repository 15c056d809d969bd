"""`gunicorn optout.wsgi` (the Procfile, operators' units): the app lives in config.wsgi."""

from config.wsgi import application

__all__ = ["application"]
