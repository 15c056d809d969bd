from django.apps import AppConfig
from django.conf import settings


class OptoutConfig(AppConfig):
    name = "optout"
    verbose_name = "optout"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects signal receivers; ready() is where Django says to import them.
        from optout.admin import group  # noqa: F401, PLC0415 (the post_migrate receiver)
        from optout.notifications import tracking  # noqa: F401, PLC0415 (anymail's tracking)

        # The folder broker (no REDIS_URL) needs its folders before the web
        # process sends the first task or the worker polls for one.
        if not settings.REDIS_URL:
            settings.CELERY_QUEUE_DIR.mkdir(parents=True, exist_ok=True)
            settings.CELERY_PROCESSED_DIR.mkdir(parents=True, exist_ok=True)
            settings.CELERY_CONTROL_DIR.mkdir(parents=True, exist_ok=True)
