"""The generated demo: deterministic owners, real-format manifests, load_demo twice."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

from devtools import demo
from optout.importers.readers import NSID_RE
from optout.importers.sources import sniff
from optout.models import Dataset, Photo


def test_demo_owners_are_the_same_every_time_and_look_like_flickr_accounts() -> None:
    owners = demo.owners()
    demo.owners.cache_clear()

    assert demo.owners() == owners
    assert len(owners) == demo.OWNERS
    assert len({o.nsid for o in owners}) == len({o.username.casefold() for o in owners}) == 300
    for owner in owners:
        assert NSID_RE.fullmatch(owner.nsid) and len(owner.nsid) == 12, owner
        assert owner.username and owner.fullname


def test_the_demo_manifests_are_a_25_column_yfcc_file_and_ffhq_json(tmp_path: Path) -> None:
    dif = demo.write_dif_manifest(tmp_path / "dif.tsv")
    ffhq = demo.write_ffhq_manifest(tmp_path / "ffhq.json")

    assert (sniff(dif).fmt, sniff(dif).yfcc_columns) == ("yfcc100m", 25)
    assert sniff(ffhq).fmt == "ffhq"
    assert dif.read_bytes() == demo.write_dif_manifest(tmp_path / "again.tsv").read_bytes()


@pytest.mark.django_db
def test_load_demo_twice_updates_in_place_and_names_owners_to_try(
    tmp_path: Path, settings: Settings
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    first = io.StringIO()
    call_command("load_demo", stdout=first)
    counts = dict(Dataset.objects.values_list("slug", "photo_count"))
    ids = set(Photo.objects.values_list("pk", flat=True))

    second = io.StringIO()
    call_command("load_demo", stdout=second)

    # The same rows, updated in place; each dataset's count is of its photos still
    # present (the demo queue's completed requests removed a few in the first run).
    assert set(Photo.objects.values_list("pk", flat=True)) == ids
    still_there = Photo.objects.filter(state=Photo.State.PRESENT)
    for dataset in Dataset.objects.all():
        assert dataset.photo_count == still_there.filter(dataset=dataset).count(), dataset.slug
    assert counts["diversity-in-faces"] == demo.DIF_PHOTOS
    assert 600 < counts["ffhq"] < demo.FFHQ_PHOTOS  # one photo, several faces: folded
    dif = Dataset.objects.get(slug="diversity-in-faces")
    assert (dif.name, dif.release) == ("Diversity in Faces (demo)", "1.0")
    assert (settings.VAR_DIR / "demo" / "diversity-in-faces-1.0.tsv").is_file()
    assert "Created and imported diversity-in-faces" in first.getvalue()
    assert "imported (new)                                        0" in second.getvalue()
    tries = second.getvalue().splitlines()[-1]
    assert tries.startswith("Demo owners to look up: ")
    assert tries == first.getvalue().splitlines()[-1]
    for owner, per_dataset in demo.owners_to_try():
        assert f"{owner.username} ({owner.nsid}: " in tries
        present = Photo.objects.filter(owner_nsid=owner.nsid, state="present").count()
        assert sum(per_dataset.values()) == present > 0
    # Some owners are in both datasets, so per-dataset counts differ from the totals.
    both = demo.owners_to_try()[0][1]
    assert set(both) == {"diversity-in-faces", "ffhq"}
