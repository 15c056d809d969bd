from django.apps import AppConfig
from django.conf import settings


class OptoutConfig(AppConfig):
    name = "optout"
    verbose_name = "optout"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from optout import receivers  # noqa: F401 (connects the anymail tracking receiver)

        # The folder broker (no REDIS_URL) needs its folders before the web
        # process sends the first task or the worker polls for one.
        if not settings.REDIS_URL:
            settings.CELERY_QUEUE_DIR.mkdir(parents=True, exist_ok=True)
            settings.CELERY_PROCESSED_DIR.mkdir(parents=True, exist_ok=True)
            settings.CELERY_CONTROL_DIR.mkdir(parents=True, exist_ok=True)
