"""clients/optout_sync.py, run as licensees run it: a separate process against a live
server. It deletes the removed photos' files, logs, acknowledges; killed (SIGKILL) at
any point, the next run resumes without skipping a removal or acknowledging one whose
files it had not deleted."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer

from optout.models import Dataset, LicenseeDataset, Photo
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.licensees import licensee_register, removal_complete

pytestmark = pytest.mark.django_db(transaction=True)
CLIENT = Path(__file__).resolve().parents[2] / "clients" / "optout_sync.py"
# Runs the client in a process that SIGKILLs itself at one point of its work:
# KILL_AT=delete:N (after the N-th file deleted), save:N (before the N-th save of
# its state), ack:N (after the N-th acknowledgement reached the server, before
# its state says so).
KILLER = """
import importlib.util, os, signal, sys
spec = importlib.util.spec_from_file_location("optout_sync", sys.argv[1])
sync = sys.modules["optout_sync"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync)
where, _, n = os.environ["KILL_AT"].partition(":")
count = {"n": 0}

def counted(original, before):
    def wrapper(*args, **kwargs):
        if before:
            count["n"] += 1
            if count["n"] == int(n):
                os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if not before:
            count["n"] += 1
            if count["n"] == int(n):
                os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapper

if where == "delete":
    sync.delete_file = counted(sync.delete_file, before=False)
elif where == "save":
    sync.state_save = counted(sync.state_save, before=True)
elif where == "ack":
    sync.Api.acknowledge = counted(sync.Api.acknowledge, before=False)
sys.exit(sync.main(sys.argv[2:]))
"""


class Copy:
    """A licensee's copy: a folder of `<flickr_id>.jpg`, 7 of them removed, 3 kept."""

    def __init__(self, root: Path, dataset: Dataset) -> None:
        self.root = root
        self.dataset = dataset
        self.removed = [PhotoFactory(dataset=dataset) for _ in range(7)]
        self.kept = [PhotoFactory(dataset=dataset) for _ in range(3)]
        for photo in self.removed + self.kept:
            self.file(photo).write_bytes(b"a face")
        removal_complete(self.removed[:4])
        removal_complete(self.removed[4:])
        self.lab = licensee_register([dataset])

    def file(self, photo: Photo) -> Path:
        return self.root / f"{photo.flickr_id}.jpg"

    def present(self, photos: list[Photo]) -> list[bool]:
        return [self.file(p).exists() for p in photos]

    def acked(self) -> int:
        return LicenseeDataset.objects.get(licensee=self.lab.licensee).acked_seq

    def in_feed_order(self) -> list[Photo]:
        return sorted(self.removed, key=lambda p: p.feed_entry.seq)


@pytest.fixture
def copy(tmp_path: Path) -> Copy:
    root = tmp_path / "dif"
    root.mkdir()
    return Copy(root, DatasetFactory(slug="diversity-in-faces"))


def run(
    server: LiveServer, copy: Copy, *extra: str, kill_at: str = "", token: str = ""
) -> subprocess.CompletedProcess[str]:
    args = [
        "--server",
        server.url,
        "--dataset",
        copy.dataset.slug,
        "--root",
        str(copy.root),
        "--limit",
        "3",
        *extra,
    ]
    if not any(a in extra for a in ("--manifest", "--path")):
        args += ["--path", "{flickr_id}.jpg"]
    env = {**os.environ, "OPTOUT_TOKEN": token or copy.lab.token, "KILL_AT": kill_at}
    command = (
        [sys.executable, "-c", KILLER, str(CLIENT)] if kill_at else [sys.executable, str(CLIENT)]
    )
    return subprocess.run(command + args, env=env, capture_output=True, text=True, timeout=60)


def test_it_deletes_the_removed_files_logs_and_acknowledges_page_by_page(
    live_server: LiveServer, copy: Copy
) -> None:
    done = run(live_server, copy)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "7 removal(s) applied: 7 file(s) deleted, 0 already absent; 0 remaining on the server"
    )
    assert copy.present(copy.removed) == [False] * 7
    assert copy.present(copy.kept) == [True] * 3
    assert copy.acked() == 7
    log = (copy.root / ".optout-sync-diversity-in-faces.log").read_text().splitlines()
    assert sum(" deleted " in line for line in log) == 7
    assert sum(" acknowledged " in line for line in log) == 3  # pages of 3, 3 and 1
    state = json.loads((copy.root / ".optout-sync-diversity-in-faces.json").read_text())
    assert state["applied"] == state["acknowledged"]

    again = run(live_server, copy)
    assert again.returncode == 0
    assert again.stdout.startswith("0 removal(s) applied")


def test_a_dry_run_lists_what_it_would_delete_and_changes_nothing(
    live_server: LiveServer, copy: Copy
) -> None:
    copy.file(copy.removed[0]).unlink()

    dry = run(live_server, copy, "--dry-run")

    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would delete ") == 6
    assert dry.stdout.count("absent ") == 1
    assert dry.stdout.splitlines()[-1] == (
        "dry run: 7 removal(s); 6 file(s) would be deleted, 1 already absent; "
        "nothing changed, nothing acknowledged"
    )
    assert copy.present(copy.removed[1:]) == [True] * 6
    assert copy.acked() == 0
    assert not (copy.root / ".optout-sync-diversity-in-faces.json").exists()


def test_a_manifest_maps_photo_ids_to_several_files(live_server: LiveServer, copy: Copy) -> None:
    (copy.root / "crops").mkdir()
    manifest = copy.root.parent / "manifest.csv"
    rows = ["flickr_id,path"]
    for photo in copy.removed + copy.kept:
        crop = copy.root / "crops" / f"{photo.flickr_id}.png"
        crop.write_bytes(b"a crop")
        rows += [f"{photo.flickr_id},{photo.flickr_id}.jpg", f"{photo.flickr_id},crops/{crop.name}"]
    manifest.write_text("\n".join(rows) + "\n")

    done = run(live_server, copy, "--manifest", str(manifest))

    assert done.returncode == 0, done.stderr
    assert copy.present(copy.removed) == [False] * 7
    assert not any((copy.root / "crops" / f"{p.flickr_id}.png").exists() for p in copy.removed)
    assert all((copy.root / "crops" / f"{p.flickr_id}.png").exists() for p in copy.kept)
    assert copy.acked() == 7


@pytest.mark.parametrize(
    "kill_at",
    [
        "delete:2",  # in the middle of the first page
        "delete:5",  # in the middle of the second page, the first acknowledged
        "save:3",  # the second page deleted, its cursor not yet saved
        "ack:2",  # the second page acknowledged, the state not yet saying so
    ],
)
def test_killed_at_any_point_it_resumes_without_skipping_or_acknowledging_early(
    live_server: LiveServer, copy: Copy, kill_at: str
) -> None:
    killed = run(live_server, copy, kill_at=kill_at)

    assert killed.returncode == -signal.SIGKILL
    # Whatever the server holds as acknowledged, those removals' files are gone.
    acknowledged = copy.in_feed_order()[: copy.acked()]
    assert copy.present(acknowledged) == [False] * len(acknowledged)
    assert copy.acked() < 7

    resumed = run(live_server, copy)

    assert resumed.returncode == 0, resumed.stderr
    assert copy.present(copy.removed) == [False] * 7
    assert copy.present(copy.kept) == [True] * 3
    assert copy.acked() == 7


def test_a_file_it_cannot_delete_stops_it_before_that_page_is_acknowledged(
    live_server: LiveServer, copy: Copy
) -> None:
    stuck = copy.in_feed_order()[4]  # on the second page
    copy.file(stuck).unlink()
    copy.file(stuck).mkdir()  # a folder where the file was: unlink fails

    failed = run(live_server, copy)

    assert failed.returncode == 1
    assert f"could not delete {copy.file(stuck)}" in failed.stderr
    assert copy.acked() == 3  # the first page only
    log = (copy.root / ".optout-sync-diversity-in-faces.log").read_text()
    assert f"error {stuck.flickr_id} " in log

    copy.file(stuck).rmdir()
    assert run(live_server, copy).returncode == 0
    assert copy.acked() == 7


def test_it_refuses_a_wrong_token_and_a_path_outside_its_root(
    live_server: LiveServer, copy: Copy
) -> None:
    refused = run(live_server, copy, token="optl_not-a-token")
    outside = run(live_server, copy, "--path", "../{flickr_id}.jpg")

    assert refused.returncode == 1
    assert "the server refused the token (401)" in refused.stderr
    assert outside.returncode == 1
    assert "is outside --root" in outside.stderr
    assert copy.present(copy.removed) == [True] * 7
