"""Settings by topic; `config.settings` is what DJANGO_SETTINGS_MODULE names.

Every variable is in docs/configuration.md.
"""

from config.settings.base import *  # noqa: F403
from config.settings.celery import *  # noqa: F403
from config.settings.database import *  # noqa: F403
from config.settings.email import *  # noqa: F403
from config.settings.flickr import *  # noqa: F403
from config.settings.licensees import *  # noqa: F403
from config.settings.policy import *  # noqa: F403
from config.settings.security import *  # noqa: F403
