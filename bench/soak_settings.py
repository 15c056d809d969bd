"""Settings for bench/soak.py only: the local settings (DEBUG on, for the Flickr
simulator), with the email provider a folder that the soak reads and switches off
and on (tests/support/mail_folder.py)."""

from config.settings import *  # noqa: F403

MAILERS = {"default": {"BACKEND": "tests.support.mail_folder.EmailBackend"}}
