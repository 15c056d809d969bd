"""The queue and the cache: Redis when REDIS_URL is set; otherwise kombu's filesystem
transport (a real broker between separate processes, no server needed) and a file
cache, both under VAR_DIR. And beat's schedule of sweepers and daily passes."""

from config.settings.base import VAR_DIR, env
from config.settings.email import EMAIL_SWEEP_EVERY_SECONDS
from config.settings.flickr import LISTING_SWEEP_EVERY_SECONDS, RECHECK_EVERY_SECONDS
from config.settings.licensees import WEBHOOK_SWEEP_EVERY_SECONDS
from config.settings.policy import DELETION_SWEEP_EVERY_SECONDS

REDIS_URL: str = env.str("REDIS_URL", default="")
CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
CELERY_PROCESSED_DIR = VAR_DIR / "celery" / "processed"
CELERY_CONTROL_DIR = VAR_DIR / "celery" / "control"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        # Above the longest task, so a task a worker holds is not handed to a
        # second worker while the first is still on it (acks_late).
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 3600),
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Both folders must be the same one for the filesystem transport.
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "processed_folder": str(CELERY_PROCESSED_DIR),
        "store_processed": False,
        # The exchange table; kombu's default is a "control" folder in the cwd.
        "control_folder": str(CELERY_CONTROL_DIR),
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_TIMEZONE = "UTC"


CELERY_BEAT_SCHEDULE = {
    "deletion-sweep": {
        "task": "optout.tasks.deletion_sweep",
        "schedule": DELETION_SWEEP_EVERY_SECONDS,
    },
    "email-sweep": {"task": "optout.tasks.email_sweep", "schedule": EMAIL_SWEEP_EVERY_SECONDS},
    "confirm-reminders": {"task": "optout.tasks.confirm_reminders_send", "schedule": 3600.0},
    "shown-unconfirmed-purge": {"task": "optout.tasks.shown_unconfirmed_purge", "schedule": 3600.0},
    "personal-data-erase": {"task": "optout.tasks.personal_data_erase", "schedule": 86400.0},
    "webhook-sweep": {
        "task": "optout.tasks.webhook_sweep",
        "schedule": WEBHOOK_SWEEP_EVERY_SECONDS,
    },
    # Hourly; a licensee gets at most one digest or reminder a day (optout.licensees.digests).
    "licensee-digests": {"task": "optout.tasks.licensee_digests_send", "schedule": 3600.0},
    "acknowledgement-sweep": {"task": "optout.tasks.acknowledgement_sweep", "schedule": 300.0},
    # The owners' signals on Flickr, a slice of the re-check's hourly share each time.
    "flickr-recheck": {"task": "optout.tasks.flickr_recheck", "schedule": RECHECK_EVERY_SECONDS},
    # An import's picture hashing whose task was lost (optout/pictures/hashing.py).
    "pictures-sweep": {"task": "optout.tasks.pictures_sweep", "schedule": 600.0},
    "listing-sweep": {
        "task": "optout.tasks.listing_sweep",
        "schedule": LISTING_SWEEP_EVERY_SECONDS,
    },
}
