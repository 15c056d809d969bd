"""What the look-up says about releases: photos in the current release, photos only
earlier releases listed (still in every copy of those, still removable), and what
happens when their owner asks for them to be removed."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from devtools.flickr_simulator import FlickrSimulator
from optout.importers import dataset_import
from optout.infra.owner_keys import owner_key
from optout.models import Dataset, Photo, RemovalRequest, Suppression
from tests.support.factories import DatasetFactory, PhotoFactory, removed_photo
from tests.support.flickr import BEES, sign_in
from tests.support.manifests import OTHER_NSID, yfcc_file, yfcc_row
from tests.support.responses import ClientResponse

NSID = BEES.nsid
RunTasks = Callable[[], list[str]]


def text_of(response: ClientResponse) -> str:
    """The page as a person reads it: tags gone, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def dif() -> Dataset:
    """Release 2.0 of Diversity in Faces lists 12 of the owner's photos; 3 more only
    release 1.0 listed; 1 more was removed."""
    dataset = DatasetFactory(slug="dif", name="Diversity in Faces", release="2.0")
    for _ in range(12):
        PhotoFactory(dataset=dataset, owner_nsid=NSID, first_seq=1)
    for _ in range(3):
        PhotoFactory(dataset=dataset, owner_nsid=NSID, first_seq=1, last_seq=1)
    removed_photo(owner_nsid=NSID, dataset=dataset)
    PhotoFactory(dataset=dataset, owner_nsid=OTHER_NSID, last_seq=1)
    return dataset


@pytest.mark.django_db
def test_the_json_counts_photos_of_earlier_releases_apart(client: Client, dif: Dataset) -> None:
    answer = client.get("/", {"q": NSID, "format": "json"}).json()

    assert answer["datasets"] == [
        {
            "slug": "dif",
            "name": "Diversity in Faces",
            "release": "2.0",
            "count": 12,
            "earlier": 3,
            "removed": 1,
        }
    ]
    assert (answer["total"], answer["earlier"]) == (12, 3)


@pytest.mark.django_db
def test_the_page_says_it_in_words(client: Client, dif: Dataset) -> None:
    text = text_of(client.get("/", {"q": NSID}))

    assert (
        "12 of your photos are in Diversity in Faces (release 2.0); 3 more were in earlier "
        "releases, copies of which are still around; 1 more has already been removed." in text
    )


@pytest.mark.django_db
def test_an_owner_with_photos_only_in_earlier_releases_can_still_sign_in_to_remove_them(
    client: Client,
) -> None:
    dataset = DatasetFactory(slug="dif", name="Diversity in Faces", release="2.0")
    PhotoFactory(dataset=dataset, owner_nsid=NSID, last_seq=1)

    text = text_of(client.get("/", {"q": NSID}))

    assert (
        "None of your photos are in Diversity in Faces (release 2.0), but 1 was in earlier "
        "releases, copies of which are still around." in text
    )
    assert "Sign in with Flickr" in text
    assert "None of your photos are in the datasets we cover." not in text


@pytest.mark.django_db
def test_a_photo_only_earlier_releases_listed_says_so(client: Client) -> None:
    dataset = DatasetFactory(slug="dif", name="Diversity in Faces", release="2.0")
    photo = PhotoFactory(dataset=dataset, owner_nsid=NSID, last_seq=1)

    link = f"https://www.flickr.com/photos/{NSID}/{photo.flickr_id}/"

    text = text_of(client.get("/", {"q": link}))
    answer = client.get("/", {"q": link, "format": "json"}).json()

    assert (
        "This photo was in earlier releases of Diversity in Faces, copies of which are still "
        "around; the current release (2.0) no longer lists it." in text
    )
    assert answer["datasets"][0] | {"name": ""} == {
        "slug": "dif",
        "name": "",
        "release": "2.0",
        "state": "present",
        "earlier": True,
    }
    assert answer["in_any"] is True


@pytest.mark.django_db
def test_after_a_complete_release_the_look_up_says_in_earlier_releases(
    client: Client, tmp_path: Path
) -> None:
    mine = [yfcc_row(n, user_nsid=NSID) for n in (1, 2, 3)]
    dataset_import(slug="dif", path=yfcc_file(tmp_path / "v1.tsv", mine), release="1.0")
    path = yfcc_file(tmp_path / "v2.tsv", [*mine[:1], yfcc_row(4, user_nsid=OTHER_NSID)])
    dataset_import(slug="dif", path=path, release="2.0", complete=True)

    text = text_of(client.get("/", {"q": NSID}))

    assert (
        "1 of your photos is in Dif (release 2.0); 2 more were in earlier releases, copies "
        "of which are still around." in text
    )


@pytest.mark.django_db(transaction=True)
def test_an_owner_has_photos_of_earlier_releases_removed_and_kept_out(
    client: Client, flickr_sim: FlickrSimulator, run_tasks: RunTasks, tmp_path: Path
) -> None:
    mine = [yfcc_row(n, user_nsid=NSID) for n in (1, 2, 3)]
    first = yfcc_file(tmp_path / "v1.tsv", mine)
    dataset_import(slug="dif", path=first, release="1.0", name="Diversity in Faces")
    second = yfcc_file(tmp_path / "v2.tsv", mine[:1])
    dataset_import(slug="dif", path=second, release="2.0", complete=True)

    sign_in(client, as_user=NSID)
    page = text_of(client.get(reverse("my_photos")))
    assert (
        "1 photo in Diversity in Faces (release 2.0) and 2 more in earlier releases, copies "
        "of which are still around" in page
    )
    assert page.count("Earlier releases only") == 2
    form = {"scope": "all", "email": "bea@example.org", "action": "file"}
    assert client.post(reverse("my_photos"), form).status_code == 302
    run_tasks()

    removal = RemovalRequest.objects.get()
    assert removal.status == RemovalRequest.Status.COMPLETED
    assert set(Photo.objects.values_list("flickr_id", "state")) == {
        (1, "removed"),
        (2, "removed"),
        (3, "removed"),
    }
    suppressed = Suppression.objects.filter(kind=Suppression.Kind.PHOTO, owner_key=owner_key(NSID))
    assert set(suppressed.values_list("flickr_id", flat=True)) == {1, 2, 3}
    counts = client.get("/", {"q": NSID, "format": "json"}).json()["datasets"][0]
    assert (counts["count"], counts["earlier"], counts["removed"]) == (0, 0, 3)
    # A later release listing them all again brings none of them back.
    summary = dataset_import(
        slug="dif", path=yfcc_file(tmp_path / "v3.tsv", mine), release="3.0", complete=True
    )
    assert (summary.skipped_removed, summary.imported, summary.photo_count) == (3, 0, 0)
    assert set(Photo.objects.values_list("state", flat=True)) == {"removed"}
