"""The background re-check: owners walked round-robin within the re-check's share, the
cursor kept in the database, each owner's signals one request of kind flickr_signal
(approved at once, or left for review), and nothing at all done on an error."""

import secrets
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import FlickrSimulator
from optout.admin.group import maintainers_group_ensure
from optout.models import (
    DeletionJob,
    EmailLog,
    FlickrSignal,
    Photo,
    RecheckOwner,
    RecheckPass,
    RemovalRequest,
    RequestEvent,
)
from optout.recheck import owner_recheck, recheck_figures, recheck_tick
from optout.recheck.walk import LOCK_KEY
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory
from tests.support.flickr import ANA, BEES, directory
from tests.support.mail import tags

pytestmark = pytest.mark.django_db
S = RemovalRequest.Status
RunTasks = Callable[[], list[str]]
BEES_IDS = [5_100_000_001, 5_100_000_003, 5_100_000_004]
ANA_IDS = [5_100_000_002, 5_100_000_005]


@pytest.fixture
def registry(flickr_sim: FlickrSimulator, settings: Settings) -> None:
    """Bees and Ana with photos in two datasets, the same on Flickr; a tick of 60 s."""
    settings.RECHECK_EVERY_SECONDS = 60
    settings.FLICKR_RECHECK_CALLS_PER_HOUR = 2000
    dif = DatasetFactory(slug="dif", name="Diversity in Faces")
    ffhq = DatasetFactory(slug="ffhq", name="FFHQ")
    for account, ids in ((BEES, BEES_IDS), (ANA, ANA_IDS)):
        for flickr_id in ids:
            directory(flickr_sim).add_photo(flickr_id, account.nsid, license=4)
            PhotoFactory(
                dataset=dif, flickr_id=flickr_id, owner_nsid=account.nsid,
                owner_name=account.username,
            )  # fmt: skip
    # The same photo in a second dataset: one signal, both rows removed.
    PhotoFactory(dataset=ffhq, flickr_id=5_100_000_001, owner_nsid=BEES.nsid, owner_name="bees")


def signal_requests() -> list[RemovalRequest]:
    return list(RemovalRequest.objects.filter(kind=RemovalRequest.Kind.FLICKR_SIGNAL))


def test_a_no_cv_tag_files_an_approved_request_with_its_deletion_jobs(
    registry: None, flickr_sim: FlickrSimulator, django_capture_on_commit_callbacks: Callable
) -> None:
    flickr_sim.switches.tag(5_100_000_001, "no_cv")

    with django_capture_on_commit_callbacks() as callbacks:
        recheck_tick()

    (removal,) = signal_requests()
    assert removal.status == S.APPROVED and removal.owner_nsid == BEES.nsid
    assert removal.photos.count() == 2  # the photo in both datasets
    assert DeletionJob.objects.filter(request=removal).count() == 2
    assert callbacks  # the jobs go to the broker once this commits
    timeline = list(removal.events.values_list("actor", "why"))
    assert ("flickr", "Photo 5100000001 tagged no_cv on Flickr.") in timeline
    assert timeline[-1][1].startswith("Approved automatically: the owner said so on Flickr")
    assert FlickrSignal.objects.get().kind == "no_cv"
    assert mail.outbox == [] and not EmailLog.objects.exists()  # no address to write to


def test_with_review_the_request_waits_for_a_maintainer(
    registry: None, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.RECHECK_POLICY = "review"
    flickr_sim.switches.relicense(5_100_000_002, 0)

    recheck_tick()

    (removal,) = signal_requests()
    assert removal.status == S.NEEDS_REVIEW and removal.owner_nsid == ANA.nsid
    assert not DeletionJob.objects.exists()
    assert removal.events.filter(kind=RequestEvent.Kind.SIGNAL).get().why == (
        "Photo 5100000002: licence changed from BY 2.0 to All Rights Reserved on Flickr."
    )


def test_each_owners_signals_make_one_request(registry: None, flickr_sim: FlickrSimulator) -> None:
    flickr_sim.switches.tag(5_100_000_001, "no_cv")
    flickr_sim.switches.make_private(5_100_000_003)
    flickr_sim.switches.delete_photo(5_100_000_004)
    flickr_sim.switches.relicense(5_100_000_005, 6)

    recheck_tick()

    by_owner = {r.owner_nsid: r for r in signal_requests()}
    assert set(by_owner) == {BEES.nsid, ANA.nsid}
    assert sorted(by_owner[BEES.nsid].flickr_signals.values_list("kind", flat=True)) == [
        "gone",
        "gone",
        "no_cv",
    ]
    assert by_owner[ANA.nsid].photos.get().flickr_id == 5_100_000_005


def test_a_signal_is_counted_once_whatever_the_passes_that_see_it(
    registry: None, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.RECHECK_POLICY = "review"  # the photo stays present, waiting
    flickr_sim.switches.tag(5_100_000_001, "no_cv")

    recheck_tick()
    RecheckPass.objects.update(finished_at=timezone.now())  # the next pass begins
    recheck_tick()

    assert len(signal_requests()) == 1
    assert FlickrSignal.objects.count() == 1
    assert RecheckPass.objects.count() == 2
    assert RecheckPass.objects.order_by("pk").last().signals == {}  # type: ignore[union-attr]


def test_a_deleted_account_removes_every_photo_and_keeps_the_owner_out_of_future_releases(
    registry: None, flickr_sim: FlickrSimulator
) -> None:
    flickr_sim.switches.delete_account(ANA.nsid)

    recheck_tick()

    (removal,) = signal_requests()
    assert removal.future_releases and removal.scope == RemovalRequest.Scope.ALL
    assert sorted(removal.photos.values_list("flickr_id", flat=True)) == ANA_IDS
    assert removal.flickr_signals.get().kind == "account"


def test_an_owner_with_a_confirmed_address_gets_one_short_note(
    registry: None, flickr_sim: FlickrSimulator, run_tasks: RunTasks,
    django_capture_on_commit_callbacks: Callable,
) -> None:  # fmt: skip
    RemovalRequestFactory(owner_nsid=BEES.nsid, email="bees@example.org", status=S.COMPLETED)
    RemovalRequestFactory(owner_nsid=ANA.nsid, email="ana@example.org", email_confirmed_at=None)
    flickr_sim.switches.tag(5_100_000_001, "no_cv")
    flickr_sim.switches.tag(5_100_000_002, "no_cv")

    with django_capture_on_commit_callbacks(execute=True):
        recheck_tick()
    run_tasks()

    notes = [m for m in mail.outbox if "as you said on Flickr" in m.subject]
    assert [m.to for m in notes] == [["bees@example.org"]]
    assert "Photo 5100000001 tagged no_cv on Flickr." in notes[0].body
    assert [tags(m) for m in mail.outbox] == [["flickr_signal"]]  # no status news after


# -- round-robin, within the share, resumable ------------------------------------------
def test_a_tick_spends_only_its_slice_and_the_next_goes_on_from_the_cursor(
    registry: None, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_RECHECK_CALLS_PER_HOUR = 60  # one call a tick of 60 s

    recheck_tick()
    first = RecheckPass.objects.get()
    assert (first.owners_checked, first.calls, first.cursor) == (1, 1, BEES.nsid)
    recheck_tick()
    first.refresh_from_db()
    assert (first.owners_checked, first.cursor, first.finished_at) == (2, ANA.nsid, None)
    recheck_tick()
    first.refresh_from_db()
    assert first.finished_at is not None and first.owners_total == 2
    assert RecheckOwner.objects.get(nsid=BEES.nsid).public_photos == 3


def test_a_restart_resumes_after_the_last_owner_checked(
    registry: None, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    RecheckPass.objects.create(cursor=BEES.nsid, owners_total=2)

    recheck_tick()

    assert [c for c in flickr_sim.rest_calls()] == ["flickr.people.getPublicPhotos"]
    assert RecheckOwner.objects.get().nsid == ANA.nsid


def test_one_walker_at_a_time(registry: None, flickr_sim: FlickrSimulator) -> None:
    cache.add(LOCK_KEY, 1)
    try:
        assert recheck_tick() == "another worker is re-checking"
    finally:
        cache.delete(LOCK_KEY)
    assert flickr_sim.rest_calls() == []


# -- an outage during a pass removes nothing --------------------------------------------
@pytest.mark.parametrize("fault", ["down", "timeout", "500", "ratelimit", "malformed"])
def test_a_flickr_outage_during_a_pass_removes_nothing_and_pauses_it(
    registry: None, flickr_sim: FlickrSimulator, settings: Settings, fault: str
) -> None:
    settings.FLICKR_TIMEOUT = 0.3
    flickr_sim.switches.tag(5_100_000_001, "no_cv")
    flickr_sim.switches.delete_account(ANA.nsid)
    flickr_sim.set_fault_mode(fault)

    said = recheck_tick()

    assert said.startswith("paused")
    assert signal_requests() == [] and not FlickrSignal.objects.exists()
    assert Photo.objects.filter(state=Photo.State.REMOVED).count() == 0
    row = RecheckPass.objects.get()
    assert row.paused_until is not None and row.paused_until > timezone.now()
    assert (row.cursor, row.owners_checked) == ("", 0)
    # Until the pause ends, the pass calls nobody, even with Flickr back.
    flickr_sim.set_fault_mode("")
    calls = len(flickr_sim.rest_calls())
    assert recheck_tick().startswith("paused until")
    assert len(flickr_sim.rest_calls()) == calls
    # Then it starts again with the owner it could not finish, and acts (a new key: a
    # 429 rests the old one for every caller, for as long as Flickr said).
    RecheckPass.objects.update(paused_until=timezone.now() - timedelta(seconds=1))
    flickr_sim.api_key = settings.FLICKR_API_KEY = secrets.token_hex(16)
    recheck_tick()
    assert {r.owner_nsid for r in signal_requests()} == {BEES.nsid, ANA.nsid}


def test_a_spent_budget_pauses_the_pass_until_the_next_hour(
    registry: None, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_RECHECK_CALLS_PER_HOUR = 1
    settings.RECHECK_EVERY_SECONDS = 3600  # the whole share in one tick
    flickr_sim.switches.tag(5_100_000_002, "no_cv")

    said = recheck_tick()

    assert said.startswith("1 owners checked") or said.startswith("paused")
    recheck_tick()
    row = RecheckPass.objects.get()
    assert "share of Flickr re-checks" in row.last_error
    assert row.paused_until is not None
    assert signal_requests() == []  # Ana's tag waits for the next hour


# -- the command -------------------------------------------------------------------------
def test_the_dry_run_says_what_it_would_remove_and_changes_nothing(
    registry: None, flickr_sim: FlickrSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    flickr_sim.switches.tag(5_100_000_001, "no_cv")
    flickr_sim.switches.delete_account(ANA.nsid)

    call_command("recheck_flickr", "--dry-run")

    out = capsys.readouterr().out
    assert "would remove photo 5100000001 (dif, ffhq): Photo 5100000001 tagged no_cv" in out
    assert f"would remove all 2 photos of {ANA.nsid} and keep them out of future releases" in out
    assert "Dry run: 2 owners checked, 5 photos" in out
    assert not RemovalRequest.objects.exists() and not RecheckPass.objects.exists()
    assert not RecheckOwner.objects.exists()


def test_the_command_checks_one_dataset_or_one_owner_and_files_the_requests(
    registry: None, flickr_sim: FlickrSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    flickr_sim.switches.tag(5_100_000_001, "no_cv")
    flickr_sim.switches.tag(5_100_000_002, "no_cv")

    call_command("recheck_flickr", "--dataset", "ffhq")
    out = capsys.readouterr().out
    assert "1 owner checked, 1 photo" in out
    (removal,) = signal_requests()
    assert f"Request {removal.public_id} for {BEES.nsid}: approved." in out

    call_command("recheck_flickr", "--owner", ANA.nsid)
    assert {r.owner_nsid for r in signal_requests()} == {BEES.nsid, ANA.nsid}
    assert RecheckPass.objects.filter(scope="").count() == 0  # the background cursor untouched


def test_the_command_stops_on_an_outage_and_says_so(
    registry: None, flickr_sim: FlickrSimulator
) -> None:
    flickr_sim.switches.tag(5_100_000_001, "no_cv")
    flickr_sim.set_fault_mode("500")
    with pytest.raises(CommandError, match=r"Stopped before the end.*error 500"):
        call_command("recheck_flickr")
    assert not RemovalRequest.objects.exists()


def test_the_command_names_an_unknown_dataset(registry: None) -> None:
    with pytest.raises(CommandError, match=r"No dataset 'laion'\. Datasets: "):
        call_command("recheck_flickr", "--dataset", "laion")


# -- what the maintainers see ------------------------------------------------------------
def test_the_figures_project_a_full_pass_from_the_calls_so_far(
    registry: None, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    flickr_sim.switches.tag(5_100_000_001, "no_cv")
    recheck_tick()

    figures = recheck_figures()

    assert (figures.owners_checked, figures.owners_total) == (2, 2)
    assert (figures.photos_checked, figures.photos_total) == (5, 5)
    assert figures.calls == 2 and figures.calls_last_hour >= 2
    assert figures.signals == [("tagged no_cv", 1)]
    assert figures.calls_per_photo == pytest.approx(0.4)
    assert figures.full_pass_hours == pytest.approx(5 * 0.4 / 2000)


def test_owner_recheck_skips_photos_in_an_open_request(
    registry: None, flickr_sim: FlickrSimulator
) -> None:
    photo = Photo.objects.filter(flickr_id=5_100_000_002).get()
    RemovalRequestFactory(owner_nsid=ANA.nsid, photos=[photo], status=S.APPROVED)
    result = owner_recheck(nsid=ANA.nsid)
    assert result.check.photos == 1


def test_the_admin_index_shows_the_current_pass(
    registry: None, flickr_sim: FlickrSimulator, client: Client
) -> None:
    maintainer = User.objects.create_user("mia@example.org", "mia@example.org", "pw", is_staff=True)
    maintainer.groups.add(maintainers_group_ensure())
    client.force_login(maintainer)
    assert "No pass yet" in client.get(reverse("admin:index")).content.decode()
    flickr_sim.switches.tag(5_100_000_001, "no_cv")
    recheck_tick()

    page = client.get(reverse("admin:index")).content.decode()

    assert '<td id="recheck-owners">2 of 2</td>' in page
    assert '<td id="recheck-photos">5 of 5</td>' in page
    assert "Signals: tagged no_cv</th><td>1</td>" in page
    assert "A full pass takes about 1 minute at 2000 calls an hour (0.40 calls a photo)" in page
    assert "RECHECK_POLICY=remove" in page
