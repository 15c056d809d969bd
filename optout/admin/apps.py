from django.contrib.admin.apps import AdminConfig


class QueueAdminConfig(AdminConfig):
    """Django's admin, with our site as `admin.site` (who may enter, the dashboard)."""

    default_site = "optout.admin.site.QueueAdminSite"

    def ready(self) -> None:
        super().ready()
        # Django's place for it: registering needs the models, loaded by now.
        from optout.admin import (  # noqa: F401, PLC0415 (registers the model admins)
            licensees,
            registry,
        )
