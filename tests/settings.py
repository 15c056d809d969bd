"""Test settings: config.settings as production reads it, plus test-only seams.

DATABASE_URL and REDIS_URL come from the environment (`.ci/run` sets them for
the PostgreSQL + Redis run and unsets them for the SQLite run).
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")
os.environ.setdefault("OWNER_KEY_SECRET", "tests-only-owner-key")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="optout-test-"))
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    # `make check`'s processes inherit the first VAR_DIR: each needs its own folder
    # broker, cache and SQLite file, or one takes the other's task messages.
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix=f"optout-test-{worker}-")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# DEBUG is off here as in production, which requires a provider and the webhook's
# secret: anymail's test backend (tests/conftest.py swaps in its own) and a test secret.
os.environ.setdefault("ANYMAIL_ESP", "test")
os.environ.setdefault("ANYMAIL_WEBHOOK_SECRET", "hook:tests-only-webhook-secret")

from config.settings import *  # noqa: F403

SITE_URL = "http://testserver"
if "devtools" not in INSTALLED_APPS:  # noqa: F405
    INSTALLED_APPS.append("devtools")  # noqa: F405 (the simulator and the demo)
# Fast hashing: tests make users, they do not guard passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic in tests.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 (whitenoise warns otherwise)

# The deletion tests run real worker processes against the test database: on
# SQLite that must be a file they can open, not an in-memory database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
# Local files with test faults on demand (tests/deletion_storage.py); without a
# fault file it is FileSystemStorage.
STORAGES["default"] = {"BACKEND": "tests.support.storage.FaultyStorage"}  # noqa: F405

# Rate-limit counters live in the cache (Redis in CI) and outlive a test; every
# test comes from 127.0.0.1. Roomy here: the rate-limit tests set their own
# limits and come from their own random addresses.
API_RATE_LIMIT_PER_MINUTE = RATE_LIMIT_LOOKUP_PER_MINUTE = 1_000_000
API_RATE_LIMIT_ITEMS_PER_MINUTE = 1_000_000_000
RATE_LIMIT_SIGNIN_PER_MINUTE = RATE_LIMIT_FORMS_PER_MINUTE = 1_000_000
RATE_LIMIT_PICTURE_PER_MINUTE = 1_000_000
