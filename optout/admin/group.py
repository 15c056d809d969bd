"""The `maintainers` group: exactly the permissions to work the queue."""

from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.db.models.signals import post_migrate
from django.dispatch import receiver

MAINTAINERS = "maintainers"

# (model, codename) in the optout app. No add, change or delete anywhere:
# requests move only through the actions, and the audit trail is append-only.
PERMISSIONS: list[tuple[str, str]] = [
    ("removalrequest", "view_removalrequest"),
    ("removalrequest", "approve_removalrequest"),
    ("removalrequest", "reject_removalrequest"),
    ("removalrequest", "retry_removalrequest"),
    ("removalrequest", "note_removalrequest"),
    ("requestevent", "view_requestevent"),
    ("requestphoto", "view_requestphoto"),
    ("emaillog", "view_emaillog"),
    ("photo", "view_photo"),
    ("dataset", "view_dataset"),
    ("datasetrelease", "view_datasetrelease"),
    ("deletionjob", "view_deletionjob"),  # once the deletion pipeline's model exists
    # Licensees: registered and edited (manage), revoked but never deleted; their
    # webhook deliveries and attempts read-only.
    ("licensee", "view_licensee"),
    ("licensee", "manage_licensee"),
    ("licensee", "rotate_licensee"),
    ("licensee", "revoke_licensee"),
    ("licensee", "resume_licensee"),
    ("licenseedataset", "view_licenseedataset"),
    ("webhookdelivery", "view_webhookdelivery"),
    ("webhookattempt", "view_webhookattempt"),
    ("licenseenotice", "view_licenseenotice"),
]


def maintainers_group_ensure() -> Group:
    """Create the group, or set its permissions back to exactly these."""
    group, _ = Group.objects.get_or_create(name=MAINTAINERS)
    wanted = Q(pk__in=[])
    for model, codename in PERMISSIONS:
        wanted |= Q(content_type__app_label="optout", content_type__model=model, codename=codename)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


@receiver(post_migrate, dispatch_uid="optout-maintainers-group")
def maintainers_group_refresh(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After optout's migrations (and its permissions): the group has exactly its permissions.

    Not when auth's tables are not migrated (yet, or any more): `migrate optout 0010`
    on an empty database runs optout's migrations alone, as Django's own
    create_permissions also checks."""
    if sender.name != "optout":
        return
    state = kwargs.get("apps", global_apps)
    try:
        state.get_model("auth", "Group")
        state.get_model("auth", "Permission")
    except LookupError:
        return
    # This receiver can run before auth's own (the admin app comes first), so the
    # permissions a migration just added are made here first: idempotent, as Django's.
    create_permissions(sender, verbosity=0, using=using, apps=state)
    maintainers_group_ensure()
