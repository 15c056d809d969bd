"""Settings for the processes the email fault tests start (workers, beat): the test
settings, with the provider a folder both sides can see (tests/support/mail_folder.py)."""

from tests.settings import *  # noqa: F403

MAILERS = {"default": {"BACKEND": "tests.support.mail_folder.EmailBackend"}}
