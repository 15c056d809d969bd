"""The maintainers' queue in Django's admin.

This package is also the app config of the admin (settings: optout.admin.apps),
so nothing here may import models at import time: the model admins are
registered in `registry`, which QueueAdminConfig.ready() imports.
"""
