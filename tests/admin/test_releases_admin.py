"""A dataset's page in the admin lists its releases as imported, read-only."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from optout.admin.group import maintainers_group_ensure
from optout.importers import dataset_import
from optout.models import Dataset
from tests.support.manifests import yfcc_file, yfcc_row

pytestmark = pytest.mark.django_db


def test_a_maintainer_sees_the_releases_of_a_dataset(client: Client, tmp_path: Path) -> None:
    dataset_import(slug="dif", path=yfcc_file(tmp_path / "v1.tsv", [yfcc_row(1)]), release="1.0")
    path = yfcc_file(tmp_path / "v2.tsv", [yfcc_row(2)])
    dataset_import(slug="dif", path=path, release="2.0", complete=True)
    user = User.objects.create_user("mia@example.org", "mia@example.org", "pw", is_staff=True)
    user.groups.add(maintainers_group_ensure())
    client.force_login(user)

    page = client.get(reverse("admin:optout_dataset_change", args=[Dataset.objects.get().pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Releases" in text  # the inline, one row a release
    assert "1.0" in text and "2.0" in text
    # Read-only: no form field for any of them.
    assert 'name="releases-0-label"' not in text
