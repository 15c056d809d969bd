from django.contrib.admin.apps import AdminConfig


class QueueAdminConfig(AdminConfig):
    """Django's admin, with our site as `admin.site` (who may enter, the dashboard)."""

    default_site = "optout.admin.site.QueueAdminSite"

    def ready(self) -> None:
        super().ready()
        from optout.admin import registry  # noqa: F401 (registers the model admins)
